package simulator

import (
	"encoding/base64"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// A row's detail events tell its story: how Exchange received, filtered,
// retried, delivered or refused the message for that recipient. The story
// is a pure function of the row and the status asked for: every draw comes
// from streams seeded by the row's id and recipient, so a details call, the
// details truth and a later call agree event for event. Stories share
// their beginning: every status starts with the same Receive (and Submit),
// and a row that was pending repeats its pending story's deferrals before
// its final events, so event i keeps its id (detailID) when a row's status
// changes.

// detailEvent is one event as the details call serves it.
type detailEvent struct {
	event, action, description, data string
	at                               time.Time
}

// Streams of a story, one per part, so that parts never shift each other.
const (
	streamReceive uint64 = iota + 1
	streamDefer
	streamFinal
)

// story collects a row's events in time order.
type story struct {
	row  *Row
	seed uint64
	evs  []detailEvent
	at   time.Time
	// host is the mailbox server that handles the message, showAt when the
	// status asked for shows (the row's visibility, or its status change).
	host   string
	showAt time.Time
}

func rowSeed(r *Row) uint64 {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	h.Write([]byte{0})
	h.Write([]byte(r.RecipientAddress))
	return h.Sum64()
}

// add appends an event d after the previous one (at least 1 ms later:
// times strictly increase), at the API's 100 ns resolution.
func (s *story) add(d time.Duration, event, action, description string, data []mep) {
	s.at = s.at.Add(max(d, time.Millisecond)).Truncate(100 * time.Nanosecond)
	s.evs = append(s.evs, detailEvent{event: event, action: action, description: description, data: detailData(data), at: s.at})
}

// detailEvents is the row's story as a row in status st tells it.
func detailEvents(r *Row, st Status) []detailEvent {
	s := &story{row: r, seed: rowSeed(r), at: r.Received, showAt: r.Received.Add(r.VisibleAfter)}
	if r.InterimStatus != "" {
		s.showAt = r.Received.Add(max(r.VisibleAfter, r.StatusAfter))
	}
	s.receive()
	final := newRNG(s.seed, streamFinal)
	pendingFirst := r.InterimStatus == StatusPending && st != StatusPending
	if st == StatusPending || pendingFirst {
		n := newRNG(s.seed, streamDefer, 0)
		s.defers(1+n.intn(3), false)
	}
	switch st {
	case StatusPending, StatusGettingStatus, StatusNone:
		// Still on its way (pending: deferred), or nothing known beyond the receipt.
	case StatusFailed:
		if !pendingFirst && final.chance(0.35) {
			s.defers(1+final.intn(2), true)
		}
		s.fail(&final)
	case StatusQuarantined:
		s.quarantine(&final)
	case StatusFilteredAsSpam:
		s.spamVerdict(&final, 5+final.intn(5), "", false)
		s.deliver(&final, true)
	case StatusExpanded:
		s.expand(&final)
	default: // delivered, and recalled (delivered first)
		s.deliver(&final, false)
	}
	return s.evs
}

func (s *story) receive() {
	r := s.row
	g := newRNG(s.seed, streamReceive)
	s.host = exchangeHost(&g)
	outbound, internal := r.ToIP != "", isPrivateIP(r.FromIP)
	size := int64(r.Size)
	tls := tlsVersions[g.intn(len(tlsVersions))]
	returnPath := r.SenderAddress
	if r.Nulls&NullSenderAddress != 0 || returnPath == "" {
		returnPath = "<>"
	}
	if !outbound && !internal {
		fe := exchangeHost(&g)
		connector := hostPrefix(fe) + `\Default ` + hostPrefix(fe)
		if g.chance(0.15) {
			connector = "Inbound from " + partnerNames[g.intn(len(partnerNames))]
		}
		data := []mep{
			mepS("ConnectorId", connector), mepS("ClientIP", r.FromIP),
			mepS("ClientHostname", "mail-"+strconv.Itoa(10+g.intn(90))+"."+domainOf(r.SenderAddress)),
			mepS("ServerHostname", fe), mepS("ReturnPath", returnPath), mepL("MessageSize", size),
			mepS("Directionality", "Incoming"), mepS("TlsVersion", tls), mepS("FirstForestHop", s.host),
		}
		if g.chance(0.3) {
			data = append(data, mepS("ProxiedClientIPAddress", r.FromIP), mepS("AuthAs", "Anonymous"))
		}
		s.add(time.Duration(1+g.intn(900))*time.Millisecond, "Receive", "",
			"Message received by: "+fe+" using "+tls+" with AES256", data)
		return
	}
	data := []mep{
		mepS("ConnectorId", hostPrefix(s.host)+`\Client Submission `+hostPrefix(s.host)), mepS("ClientIP", r.FromIP),
		mepS("ServerHostname", s.host), mepS("ReturnPath", returnPath), mepL("MessageSize", size),
		mepS("Directionality", "Originating"), mepS("AuthAs", "Internal"),
	}
	s.add(time.Duration(1+g.intn(900))*time.Millisecond, "Receive", "", "Message received by: "+s.host, data)
	var submit []mep
	if g.chance(0.5) {
		submit = []mep{mepS("ServerHostname", s.host), mepS("SourceContext", "MDB:"+guid(&g))}
	}
	s.add(time.Duration(5+g.intn(200))*time.Millisecond, "Submit", "", "The message was submitted.", submit)
}

// defers appends n deferrals. With room before the status shows (two
// minutes or more) they spread over it, as Exchange's retry schedule does;
// otherwise they are quick retries seconds apart. The stream depends only
// on the row, so a pending story and the final story after it agree.
func (s *story) defers(n int, own bool) {
	g := newRNG(s.seed, streamDefer, 1)
	if own {
		g = newRNG(s.seed, streamDefer, 2)
	}
	outbound := s.row.ToIP != ""
	span := s.showAt.Sub(s.at)
	start := s.at
	for k := range n {
		e := deferErrors[g.intn(len(deferErrors))]
		if !outbound && g.chance(0.6) {
			e = mailboxDeferErrors[g.intn(len(mailboxDeferErrors))]
		}
		var d time.Duration
		if span >= 2*time.Minute {
			at := start.Add(time.Duration((float64(k) + 0.2 + 0.6*g.float()) / float64(n+1) * float64(span)))
			d = at.Sub(s.at)
		} else {
			d = time.Duration(2000+g.intn(18000)) * time.Millisecond
		}
		data := []mep{mepS("LastError", e.text), mepI("RetryCount", k+1), mepS("ServerHostname", s.host)}
		if outbound {
			data = append(data, mepS("RemoteHostname", mxOf(s.row.RecipientAddress)))
		}
		if g.chance(0.15) {
			data = nil
		}
		s.add(d, "Defer", "", "The message was temporarily delayed: "+e.text+". A retry will be attempted (attempt "+strconv.Itoa(k+1)+").", data)
	}
}

func (s *story) fail(g *rng) {
	r := s.row
	e := failErrors[g.intn(len(failErrors))]
	if r.ToIP == "" && e.outboundOnly {
		e = failErrors[0]
	}
	fqdn, ip := "", ""
	data := []mep{mepS("LastError", e.text), mepS("FailureCategory", e.category), mepS("ServerHostname", s.host)}
	if r.ToIP != "" && !e.local {
		fqdn, ip = mxOf(r.RecipientAddress), r.ToIP
		data = append(data, mepS("RemoteHostname", fqdn), mepS("RemoteIP", ip))
	}
	if g.chance(0.2) {
		data = nil
	}
	desc := "Reason: [{LED=" + e.text + "};{MSG=" + e.msg + "};{FQDN=" + fqdn + "};{IP=" + ip + "};{LRT=}]. OriginalClientIp: " + r.FromIP
	s.add(time.Duration(100+g.intn(5000))*time.Millisecond, "Fail", "", desc, data)
}

// quarantine: a high-confidence spam or phish verdict, malware, or a
// transport rule, then the Fail that quarantined it.
func (s *story) quarantine(g *rng) {
	var reason, why string
	switch g.intn(4) {
	case 0:
		s.spamVerdict(g, 9, "HSPM", true)
		reason, why = "HighConfSpam", "it was identified as high confidence spam"
	case 1:
		s.spamVerdict(g, 9, "HPHSH", true)
		reason, why = "HighConfPhish", "it was identified as high confidence phishing"
	case 2:
		m := malwareNames[g.intn(len(malwareNames))]
		file := attachmentNames[g.intn(len(attachmentNames))]
		hash := make([]byte, 32)
		for i := range hash {
			hash[i] = byte(g.next())
		}
		s.add(time.Duration(500+g.intn(2500))*time.Millisecond, "Malware", "Quarantine",
			"Malware detected: "+m+" in attachment '"+file+"'.",
			[]mep{mepS("MalwareName", m), mepS("FileName", file), mepS("ScanEngine", "Microsoft"),
				mepB("AttachmentHash", base64.StdEncoding.EncodeToString(hash))})
		reason, why = "Malware", "it contained malware"
	default:
		rule := quarantineRules[g.intn(len(quarantineRules))]
		s.transportRule(g, rule, "Quarantine", "quarantined")
		reason, why = "TransportRule", "of the transport rule '"+rule+"'"
	}
	var data []mep
	if !g.chance(0.2) {
		data = []mep{mepS("QuarantineReason", reason), mepS("QuarantineId", guid(g)), mepS("ServerHostname", s.host)}
	}
	s.add(time.Duration(5+g.intn(300))*time.Millisecond, "Fail", "Quarantine", "The message was quarantined because "+why+".", data)
}

// spamVerdict is the content filter's verdict; cat "" is drawn (spam or
// bulk).
func (s *story) spamVerdict(g *rng, scl int, cat string, quarantined bool) {
	bcl := g.intn(4)
	if cat == "" {
		cat = "SPM"
		if g.chance(0.3) {
			cat, bcl = "BULK", 7+g.intn(3)
		}
	}
	// DI: SJ delivered to Junk, SQ quarantined.
	di, custom := "SJ", "S:SFV=SPM;S:CAT="+cat+";S:SCL="+strconv.Itoa(scl)+";S:IPV=NLI"
	if quarantined {
		di = "SQ"
	}
	if cat == "BULK" {
		custom += ";S:SRV=BULK"
	}
	data := []mep{
		mepI("SCL", scl), mepI("PCL", g.intn(9)), mepS("SFV", "SPM"), mepS("CAT", cat), mepS("DI", di), mepI("BCL", bcl),
		mepS("IPV", "NLI"), mepS("H", "mail-"+strconv.Itoa(10+g.intn(90))+"."+domainOf(s.row.SenderAddress)),
		mepS("CTRY", countries[g.intn(len(countries))]), mepS("LANG", "en"),
		mepB("CustomData", base64.StdEncoding.EncodeToString([]byte(custom))),
	}
	desc := "The message was marked as spam by content filtering (SCL " + strconv.Itoa(scl) + ", SFV:SPM, CAT:" + cat + ")."
	if cat == "BULK" {
		desc = "The message was marked as bulk mail (BCL " + strconv.Itoa(bcl) + ", SCL " + strconv.Itoa(scl) + ")."
	}
	s.add(time.Duration(20+g.intn(600))*time.Millisecond, "Spam Diagnostics", "", desc, data)
}

func (s *story) transportRule(g *rng, rule, action, did string) {
	id := guid(g)
	s.add(time.Duration(5+g.intn(120))*time.Millisecond, "Transport rule", action,
		"Transport rule: '"+rule+"', ID: ({"+id+"}), message was "+did+".",
		[]mep{mepS("TransportRuleId", id), mepS("RuleName", rule), mepS("Action", action),
			mepS("Mode", "Enforce"), mepS("Severity", []string{"Low", "Medium", "High"}[g.intn(3)])})
}

// deliver ends a delivered or junked story: a banner or disclaimer rule
// sometimes, then Send to the remote server (outbound) or Deliver to the
// mailbox; junk always ends in the recipient's Junk Email folder.
func (s *story) deliver(g *rng, junk bool) {
	r := s.row
	if !junk && g.chance(0.15) {
		if r.ToIP == "" {
			s.transportRule(g, "External sender banner", "PrependHtml", "modified")
		} else {
			s.transportRule(g, "Append legal disclaimer", "ApplyHtmlDisclaimer", "modified")
		}
	}
	if r.ToIP != "" && !junk {
		mx, tls := mxOf(r.RecipientAddress), tlsVersions[g.intn(len(tlsVersions))]
		var data []mep
		if !g.chance(0.1) {
			data = []mep{mepS("RemoteHostname", mx), mepS("RemoteIP", r.ToIP), mepS("ServerHostname", s.host),
				mepS("TlsVersion", tls), mepS("CipherSuite", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
				mepL("MessageLatency", int64(200+g.intn(30000))), mepS("RecipientDomain", domainOf(r.RecipientAddress))}
		}
		s.add(time.Duration(1000+g.intn(29000))*time.Millisecond, "Send", "",
			"Message sent to "+mx+" at "+r.ToIP+" using "+tls+" with AES256", data)
		return
	}
	folder, action, desc := "Inbox", "", "The message was successfully delivered to the folder: Inbox"
	if junk {
		folder, action, desc = "Junk Email", "MoveToJmf", "The message was delivered to the Junk Email folder."
	}
	var data []mep
	if !g.chance(0.1) {
		data = []mep{mepS("DeliveryFolder", folder), mepS("ServerHostname", s.host),
			mepS("MailboxDatabase", mailboxDatabase(s.host, g)),
			mepL("DeliveryLatency", int64(100+g.intn(4000)))}
	}
	s.add(time.Duration(200+g.intn(3800))*time.Millisecond, "Deliver", action, desc, data)
}

func (s *story) expand(g *rng) {
	n := 2 + g.intn(60)
	s.add(time.Duration(10+g.intn(500))*time.Millisecond, "Expand", "",
		"The message was sent to the distribution group "+s.row.RecipientAddress+" and expanded to "+strconv.Itoa(n)+" recipients.",
		[]mep{mepS("DistributionGroup", s.row.RecipientAddress), mepI("ExpandedRecipientCount", n), mepS("ServerHostname", s.host)})
}

// SMTP answers of the stories. outboundOnly errors come from a remote
// server; local ones from Exchange itself.
type smtpError struct {
	text, msg, category string
	outboundOnly, local bool
}

var (
	failErrors = []smtpError{
		{text: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", category: "RecipientNotFound", local: true},
		{text: "550 5.7.1 Unable to relay: relay denied", msg: "relay denied by the remote server", category: "RelayDenied", outboundOnly: true},
		{text: "554 5.4.14 Hop count exceeded - possible mail loop ATTR34", category: "MailLoop", local: true},
		{text: "550 5.7.64 TenantAttribution; Relay Access Denied", category: "RelayDenied", local: true},
		{text: "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", category: "RecipientRejected", outboundOnly: true},
		{text: "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded", category: "MailboxFull", local: true},
		{text: "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP", category: "IPReputation", local: true},
		{text: "550 4.4.7 QUEUE.Expired; message expired", msg: "the message could not be delivered in time", category: "Expired", outboundOnly: true},
		{text: "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table", category: "RecipientNotFound", outboundOnly: true},
	}
	deferErrors = []smtpError{
		{text: "451 4.4.0 DNS query failed"},
		{text: "421 4.4.2 Connection dropped due to SocketError"},
		{text: "451 4.4.397 Error communicating with target host"},
		{text: "421 4.7.0 Temporary rejection, try again later"},
		{text: "450 4.7.26 Unauthenticated mail is prohibited (SPF); try again later"},
		{text: "451 4.7.650 The mail server has been temporarily rate limited due to IP reputation"},
	}
	mailboxDeferErrors = []smtpError{
		{text: "451 4.7.500 Server busy. Please try again later"},
		{text: "432 4.3.2 STOREDRV.ClientSubmit; mailbox database thread limit exceeded"},
		{text: "452 4.3.1 Insufficient system resources"},
	}
	quarantineRules = []string{"Block external executables", "Quarantine macro attachments", "Finance: 'wire transfer' & <payroll> keywords",
		"Block auto-forwarding to external domains"}
	malwareNames    = []string{"Trojan:Win32/Wacatac.B!ml", "Trojan:O97M/Emotet.RT!MTB", "TrojanDownloader:HTML/Adodb.gen!A", "Backdoor:Win32/Qakbot.SA"}
	attachmentNames = []string{"invoice_4821.docm", "Payment Advice.html", "scan0031.zip", "Q3 \"final\" report.xlsm", "setup.exe"}
	partnerNames    = []string{"Fabrikam partner", "Woodgrove Bank (TLS)", "Tailspin relay"}
	countries       = []string{"US", "DE", "NL", "BR", "CN", "RU", "IN", "GB"}
	tlsVersions     = []string{"TLS1.2", "TLS1.3"}
	hostFamilies    = []struct{ prefix, forest string }{
		{"BN8PR12MB", "namprd12"}, {"DM6PR11MB", "namprd11"}, {"SJ0PR13MB", "namprd13"},
		{"AM6PR04MB", "eurprd04"}, {"DB9PR02MB", "eurprd02"}, {"SY4PR01MB", "ausprd01"},
	}
)

// exchangeHost is an Exchange Online server name, e.g.
// BN8PR12MB3456.namprd12.prod.outlook.com.
func exchangeHost(g *rng) string {
	f := hostFamilies[g.intn(len(hostFamilies))]
	return f.prefix + strconv.Itoa(1000+g.intn(9000)) + "." + f.forest + ".prod.outlook.com"
}

// mailboxDatabase is a database of host's forest, e.g. NAMPR12DG123-db045.
func mailboxDatabase(host string, g *rng) string {
	_, rest, _ := strings.Cut(host, ".")
	forest, _, _ := strings.Cut(rest, ".")
	return strings.ToUpper(strings.Replace(forest, "prd", "pr", 1)) + "DG" + strconv.Itoa(100+g.intn(900)) + "-db" + strconv.Itoa(100+g.intn(900))
}

func hostPrefix(host string) string {
	p, _, _ := strings.Cut(host, ".")
	return p
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return strings.ToLower(addr[i+1:])
	}
	return "unknown.invalid"
}

// mxOf is the recipient domain's mail exchanger, Exchange Online style.
func mxOf(addr string) string {
	return strings.ReplaceAll(domainOf(addr), ".", "-") + ".mail.protection.outlook.com"
}

func isPrivateIP(ip string) bool {
	return strings.HasPrefix(ip, "10.") || strings.HasPrefix(ip, "fd00:")
}
