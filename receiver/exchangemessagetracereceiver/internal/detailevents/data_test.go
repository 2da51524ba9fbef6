package detailevents

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseData(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []Pair
	}{
		{"empty", "", nil},
		{"blank", "   ", nil},
		{"not xml", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", nil},
		{"empty root", "<root></root>", nil},
		{"self-closed root", "<root/>", nil},
		{"typical", `<root><MEP Name="ConnectorId" String="Inbound from Partner"/><MEP Name="SCL" Integer="5"/><MEP Name="Size" Long="51234"/><MEP Name="StoreObjectIds" Blob="AAAAAAhQ"/></root>`, []Pair{
			{"ConnectorId", TypeString, "Inbound from Partner"},
			{"SCL", TypeInteger, "5"},
			{"Size", TypeLong, "51234"},
			{"StoreObjectIds", TypeBlob, "AAAAAAhQ"},
		}},
		{"spaces and newlines", "<root>\n  <MEP Name = \"A\"   String = 'single quoted' />\n</root>\n", []Pair{{"A", TypeString, "single quoted"}}},
		{"entities", `<root><MEP Name="Recipient" String="dan.o&apos;connor@contoso.com"/><MEP Name="Rule" String="&quot;Block&quot; &amp; quarantine &lt;exe&gt;"/><MEP Name="Numeric" String="&#233;&#x2014;"/></root>`, []Pair{
			{"Recipient", TypeString, "dan.o'connor@contoso.com"},
			{"Rule", TypeString, `"Block" & quarantine <exe>`},
			{"Numeric", TypeString, "é—"},
		}},
		{"html and unknown entities kept", `<root><MEP Name="A" String="a&nbsp;b"/><MEP Name="B" String="x&bogus;y"/></root>`, []Pair{
			{"A", TypeString, "a\u00a0b"},
			{"B", TypeString, "x&bogus;y"},
		}},
		{"truncated in an entry", `<root><MEP Name="A" String="1"/><MEP Name="B" Stri`, []Pair{{"A", TypeString, "1"}}},
		{"truncated in a value", `<root><MEP Name="A" String="1"/><MEP Name="B" String="unterminated`, []Pair{{"A", TypeString, "1"}}},
		{"truncated after an entry", `<root><MEP Name="A" Integer="7"/>`, []Pair{{"A", TypeInteger, "7"}}},
		{"unknown attributes ignored", `<root><MEP Flags="3" Name="A" Culture="en-US" String="v"/></root>`, []Pair{{"A", TypeString, "v"}}},
		{"unknown type kept", `<root><MEP Name="Ratio" Double="0.5"/><MEP Name="Flag" Boolean="true"/></root>`, []Pair{
			{"Ratio", "Double", "0.5"},
			{"Flag", "Boolean", "true"},
		}},
		{"no value", `<root><MEP Name="Marker"/></root>`, []Pair{{"Marker", "", ""}}},
		{"no name skipped", `<root><MEP String="orphan"/><MEP Name="" String="empty name"/><MEP Name="B" String="b"/></root>`, []Pair{{"B", TypeString, "b"}}},
		{"duplicate names all kept", `<root><MEP Name="RuleId" String="r1"/><MEP Name="RuleId" String="r2"/></root>`, []Pair{
			{"RuleId", TypeString, "r1"},
			{"RuleId", TypeString, "r2"},
		}},
		{"first name and first typed value win", `<root><MEP Name="A" Name="B" String="s" Integer="1"/></root>`, []Pair{{"A", TypeString, "s"}}},
		{"any case", `<Root><mep name="A" String="a"/></Root>`, []Pair{{"A", TypeString, "a"}}},
		{"other elements and text ignored", `<root>text<Other Name="X" String="x"/><MEP Name="A" String="a">inner</MEP></root>`, []Pair{{"A", TypeString, "a"}}},
		{"nested", `<root><group><MEP Name="A" String="a"/></group></root>`, []Pair{{"A", TypeString, "a"}}},
		{"unquoted value", `<root><MEP Name=A String=b/></root>`, []Pair{{"A", TypeString, "b"}}},
		{"mismatched tags", `<root><MEP Name="A" String="a"/></wrong><MEP Name="B" String="b"/>`, []Pair{{"A", TypeString, "a"}, {"B", TypeString, "b"}}},
		{"garbage after", `<root><MEP Name="A" String="a"/></root><<<>>>`, []Pair{{"A", TypeString, "a"}}},
		{"namespace prefix", `<root xmlns:x="urn:x"><x:MEP Name="A" String="a"/></root>`, []Pair{{"A", TypeString, "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ParseData(tt.data))
		})
	}
}

// FuzzParseData: any input parses without panicking, and what it yields
// has names.
func FuzzParseData(f *testing.F) {
	for _, s := range []string{"", "<root/>", `<root><MEP Name="A" String="a"/></root>`, `<MEP Name="A" Integer="`, "<<&;>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range ParseData(s) {
			assert.NotEmpty(t, p.Name)
		}
	})
}

func TestParseDataLargeInput(t *testing.T) {
	data := "<root>" + strings.Repeat(`<MEP Name="A" String="a"/>`, 10000) + "</root>"
	assert.Len(t, ParseData(data), 10000)
}
