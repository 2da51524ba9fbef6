package logmap

import (
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// fixture is a row as a decoder would hand it over, with the status it was
// first emitted with when the row is emitted again.
type fixture struct {
	name           string
	api            msgtrace.API
	row            msgtrace.Row
	previousStatus string
}

func mustTime(layout, s string) time.Time {
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// legacyReceived is the legacy report's zone-less 7-digit "Received" layout.
const legacyReceived = "2006-01-02T15:04:05.9999999"

// seedRow builds one of the seed's rows the way the legacy decoder does:
// every field as sent, times parsed as UTC and kept verbatim as text, ToIP
// marked null, Raw the row's exact bytes.
func seedRow(messageID, received, recipient, fromIP string, size int64, traceID string, index int64, raw string) msgtrace.Row {
	const start, end = "2022-11-27T17:08:26.8492706Z", "2022-11-29T17:08:26.8492706Z"
	return msgtrace.Row{
		ID:               traceID,
		MessageID:        messageID,
		Received:         mustTime(legacyReceived, received),
		SenderAddress:    "azure-noreply@microsoft.com",
		RecipientAddress: recipient,
		Subject:          "Azure AD Identity Protection Weekly Digest",
		Status:           "Delivered",
		FromIP:           fromIP,
		Size:             size,
		Organization:     "org.onmicrosoft.com",
		StartDate:        mustTime(time.RFC3339Nano, start),
		EndDate:          mustTime(time.RFC3339Nano, end),
		Index:            index,
		ReceivedText:     received,
		StartDateText:    start,
		EndDateText:      end,
		Nulls:            msgtrace.FieldToIP,
		Raw:              []byte(raw),
	}
}

// seedRows are the three rows of the legacy sample response in
// shared/seeds/001_ab4eeb32921c1a5a.txt (copied to testdata/seed_legacy_page.json;
// TestSeedRawIsVerbatim checks the bytes).
var seedRows = []fixture{
	{name: "seed_0", api: msgtrace.APIReporting, row: seedRow(
		"<233af449-87f6-4902-bcf5-77838a4e7603@az.southcentralus.unknown.microsoft.com>",
		"2022-11-29T05:35:08.2652371", "ebenzoni@org.onmicrosoft.com", "20.97.34.221", 145153,
		"aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e", 0, `{
     "Organization": "org.onmicrosoft.com",
     "MessageId": "<233af449-87f6-4902-bcf5-77838a4e7603@az.southcentralus.unknown.microsoft.com>",
     "Received": "2022-11-29T05:35:08.2652371",
     "SenderAddress": "azure-noreply@microsoft.com",
     "RecipientAddress": "ebenzoni@org.onmicrosoft.com",
     "Subject": "Azure AD Identity Protection Weekly Digest",
     "Status": "Delivered",
     "ToIP": null,
     "FromIP": "20.97.34.221",
     "Size": 145153,
     "MessageTraceId": "aa1a3e28-8967-4bfb-06d3-08dad1cb7a0e",
     "StartDate": "2022-11-27T17:08:26.8492706Z",
     "EndDate": "2022-11-29T17:08:26.8492706Z",
     "Index": 0
   }`)},
	{name: "seed_1", api: msgtrace.APIReporting, row: seedRow(
		"<c41de266-153b-487c-a142-618d99505b38@az.southcentralus.unknown.microsoft.com>",
		"2022-11-29T05:35:07.7450561", "lmilby@org.onmicrosoft.com", "20.97.34.221", 144900,
		"0c1d5652-d2eb-496c-a741-08dad1cb79be", 1, `{
     "Organization": "org.onmicrosoft.com",
     "MessageId": "<c41de266-153b-487c-a142-618d99505b38@az.southcentralus.unknown.microsoft.com>",
     "Received": "2022-11-29T05:35:07.7450561",
     "SenderAddress": "azure-noreply@microsoft.com",
     "RecipientAddress": "lmilby@org.onmicrosoft.com",
     "Subject": "Azure AD Identity Protection Weekly Digest",
     "Status": "Delivered",
     "ToIP": null,
     "FromIP": "20.97.34.221",
     "Size": 144900,
     "MessageTraceId": "0c1d5652-d2eb-496c-a741-08dad1cb79be",
     "StartDate": "2022-11-27T17:08:26.8492706Z",
     "EndDate": "2022-11-29T17:08:26.8492706Z",
     "Index": 1
   }`)},
	{name: "seed_2", api: msgtrace.APIReporting, row: seedRow(
		"<072e0c5d-66d0-40ac-a376-52b11344255a@az.northcentralus.unknown.microsoft.com>",
		"2022-11-29T05:35:07.2828271", "sumo-apps@org.onmicrosoft.com", "20.51.6.33", 145123,
		"4d68a1db-9375-4ae8-1f6f-08dad1cb7978", 2, `{
     "Organization": "org.onmicrosoft.com",
     "MessageId": "<072e0c5d-66d0-40ac-a376-52b11344255a@az.northcentralus.unknown.microsoft.com>",
     "Received": "2022-11-29T05:35:07.2828271",
     "SenderAddress": "azure-noreply@microsoft.com",
     "RecipientAddress": "sumo-apps@org.onmicrosoft.com",
     "Subject": "Azure AD Identity Protection Weekly Digest",
     "Status": "Delivered",
     "ToIP": null,
     "FromIP": "20.51.6.33",
     "Size": 145123,
     "MessageTraceId": "4d68a1db-9375-4ae8-1f6f-08dad1cb7978",
     "StartDate": "2022-11-27T17:08:26.8492706Z",
     "EndDate": "2022-11-29T17:08:26.8492706Z",
     "Index": 2
   }`)},
}

// legacyExtraRows cover what the seed does not: a null MessageId, a status
// the Sumo Logic query counts separately, an outbound ToIP, a subject that
// needs JSON escapes, and a re-emit after a status change.
var legacyExtraRows = []fixture{
	{name: "legacy_getting_status", api: msgtrace.APIReporting, previousStatus: "Pending", row: msgtrace.Row{
		ID:               "5e0b7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b",
		Received:         mustTime(legacyReceived, "2022-11-29T06:00:00.1000000"),
		SenderAddress:    "ops@org.onmicrosoft.com",
		RecipientAddress: "dan.o'connor@fabrikam.com",
		Subject:          "Quarterly \"numbers\"\tand C:\\path — résumé",
		Status:           "GettingStatus",
		ToIP:             "198.51.100.7",
		FromIP:           "2001:db8::25",
		Size:             2048,
		Organization:     "org.onmicrosoft.com",
		StartDate:        mustTime(time.RFC3339Nano, "2022-11-27T17:08:26.8492706Z"),
		EndDate:          mustTime(time.RFC3339Nano, "2022-11-29T17:08:26.8492706Z"),
		Index:            3,
		ReceivedText:     "2022-11-29T06:00:00.1000000",
		StartDateText:    "2022-11-27T17:08:26.8492706Z",
		EndDateText:      "2022-11-29T17:08:26.8492706Z",
		Nulls:            msgtrace.FieldMessageID,
		Raw:              []byte(`{"Organization":"org.onmicrosoft.com","MessageId":null,"Received":"2022-11-29T06:00:00.1000000","SenderAddress":"ops@org.onmicrosoft.com","RecipientAddress":"dan.o'connor@fabrikam.com","Subject":"Quarterly \"numbers\"\tand C:\\path \u2014 r\u00e9sum\u00e9","Status":"GettingStatus","ToIP":"198.51.100.7","FromIP":"2001:db8::25","Size":2048,"MessageTraceId":"5e0b7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b","StartDate":"2022-11-27T17:08:26.8492706Z","EndDate":"2022-11-29T17:08:26.8492706Z","Index":3}`),
	}},
}

// graphRow completes a Graph row the way the Graph decoder does: the range
// it was queried with goes in StartDate/EndDate (time and text, for the
// legacy names), Received is parsed from its text. Index is the row's
// position in the query's results.
func graphRow(r msgtrace.Row) msgtrace.Row {
	r.StartDateText, r.EndDateText = "2026-01-21T14:00:00Z", "2026-01-21T14:15:00Z"
	r.StartDate, r.EndDate = mustTime(time.RFC3339, r.StartDateText), mustTime(time.RFC3339, r.EndDateText)
	r.Received = mustTime(time.RFC3339Nano, r.ReceivedText)
	return r
}

var graphRows = []fixture{
	{name: "graph_null_message_id", api: msgtrace.APIGraph, row: graphRow(msgtrace.Row{
		ID:               "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f",
		ReceivedText:     "2026-01-21T14:12:34Z",
		SenderAddress:    "sender@contoso.com",
		RecipientAddress: "recipient@contoso.com",
		Subject:          "Monthly report",
		Status:           "delivered",
		Size:             51234,
		FromIP:           "203.0.113.25",
		Nulls:            msgtrace.FieldMessageID,
		Index:            0,
		Raw:              []byte(`{"id":"b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f","senderAddress":"sender@contoso.com","recipientAddress":"recipient@contoso.com","messageId":null,"receivedDateTime":"2026-01-21T14:12:34Z","subject":"Monthly report","size":51234,"fromIP":"203.0.113.25","toIP":"","status":"delivered"}`),
	})},
	{name: "graph_apostrophe_recipient", api: msgtrace.APIGraph, row: graphRow(msgtrace.Row{
		ID:               "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
		MessageID:        "<20260121141235.1234@fabrikam.com>",
		ReceivedText:     "2026-01-21T14:12:35.123Z",
		SenderAddress:    "newsletter@fabrikam.com",
		RecipientAddress: "dan.o'connor@contoso.com",
		Subject:          "Don't miss \"this\" — offer",
		Status:           "filteredAsSpam",
		Size:             8812,
		FromIP:           "198.51.100.44",
		Index:            1,
		Raw:              []byte(`{"id":"c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f","senderAddress":"newsletter@fabrikam.com","recipientAddress":"dan.o'connor@contoso.com","messageId":"<20260121141235.1234@fabrikam.com>","receivedDateTime":"2026-01-21T14:12:35.123Z","subject":"Don't miss \"this\" \u2014 offer","size":8812,"fromIP":"198.51.100.44","toIP":"","status":"filteredAsSpam"}`),
	})},
	{name: "graph_ipv6_from_ip", api: msgtrace.APIGraph, row: graphRow(msgtrace.Row{
		ID:               "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a",
		MessageID:        "<CAF=ab12@mail.example.org>",
		ReceivedText:     "2026-01-21T14:13:00Z",
		SenderAddress:    "alice@contoso.com",
		RecipientAddress: "bob@example.org",
		Subject:          "Re: contract",
		Status:           "failed",
		Size:             120443,
		FromIP:           "2001:db8:4006:812::200e",
		ToIP:             "2001:db8:85a3::8a2e:370:7334",
		Index:            2,
		Raw:              []byte(`{"id":"d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a","senderAddress":"alice@contoso.com","recipientAddress":"bob@example.org","messageId":"<CAF=ab12@mail.example.org>","receivedDateTime":"2026-01-21T14:13:00Z","subject":"Re: contract","size":120443,"fromIP":"2001:db8:4006:812::200e","toIP":"2001:db8:85a3::8a2e:370:7334","status":"failed"}`),
	})},
	// No Raw: the decoder did not keep the bytes, so even the API's own
	// names go through the encoder.
	{name: "graph_empty_to_ip", api: msgtrace.APIGraph, row: graphRow(msgtrace.Row{
		ID:               "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b",
		MessageID:        "<quarantine-1@contoso.com>",
		ReceivedText:     "2026-01-21T14:13:30Z",
		SenderAddress:    "unknown@suspicious.example",
		RecipientAddress: "finance@contoso.com",
		Subject:          "Invoice\nattached",
		Status:           "Quarantined",
		Size:             40960,
		FromIP:           "192.0.2.10",
		Index:            3,
	})},
	{name: "graph_status_change", api: msgtrace.APIGraph, previousStatus: "gettingStatus", row: graphRow(msgtrace.Row{
		ID:               "f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f7a8b9c",
		MessageID:        "<late-1@contoso.com>",
		ReceivedText:     "2026-01-21T14:14:59.5Z",
		SenderAddress:    "hr@contoso.com",
		RecipientAddress: "team@contoso.com",
		Status:           "expanded",
		Size:             3000,
		FromIP:           "10.1.2.3",
		Nulls:            msgtrace.FieldSubject,
		Index:            4,
		Raw:              []byte(`{"id":"f6a7b8c9-d0e1-4f2a-9b3c-4d5e6f7a8b9c","senderAddress":"hr@contoso.com","recipientAddress":"team@contoso.com","messageId":"<late-1@contoso.com>","receivedDateTime":"2026-01-21T14:14:59.5Z","subject":null,"size":3000,"fromIP":"10.1.2.3","toIP":"","status":"expanded"}`),
	})},
}
