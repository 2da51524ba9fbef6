package simulator

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Pools the synthetic mail flow draws from. A few names carry apostrophes
// and external domains mix IPv4 and IPv6 senders, because real tenants do.
var (
	firstNames = []string{"anna", "ben", "carla", "dan", "eve", "farid", "grace", "hiro", "ines", "jamal",
		"kate", "liam", "maria", "noah", "olga", "pedro", "quinn", "ravi", "sofia", "tom", "uma", "victor", "wen", "yusuf"}
	lastNames = []string{"smith", "o'connor", "nguyen", "garcia", "muller", "d'angelo", "kowalski", "tanaka",
		"johnson", "rossi", "o'brien", "silva", "khan", "dubois", "berg", "novak"}
	externalDomains = []string{"fabrikam.com", "northwind.example", "adatum.net", "tailspin.io", "litware.org",
		"wingtip.co.uk", "gmail.com", "outlook.com", "mail.example.org", "partners.woodgrove.com"}
	serviceSenders = []string{"azure-noreply@microsoft.com", "no-reply@sharepointonline.com", "noreply@github.com",
		"billing@fabrikam.com", "alerts@monitoring.adatum.net", "newsletter@tailspin.io", "MAILER-DAEMON@"}
	subjects = []string{"Monthly report", "Re: Budget review", "FW: Invoice 2024-118", "Azure AD Identity Protection Weekly Digest",
		"Meeting notes", "Your order has shipped", "Action required: password expiry", "Q3 planning",
		"Lunch on Friday?", "Re: Re: contract draft", "Welcome to the team", "[External] Proposal", "Out of office: Dan's travel",
		"Security alert", "Weekly status – ünïcode ✓", "Invoice #48213 \"urgent\""}
	microsoftHosts = []string{"az.southcentralus.unknown.microsoft.com", "az.northcentralus.unknown.microsoft.com",
		"EUR01.PROD.OUTLOOK.COM", "NAM12.PROD.OUTLOOK.COM"}
)

// message appends the rows of message j of bucket b: one per recipient,
// sharing id, messageId, sender, subject and received time.
func (m *model) message(b int64, j int, received time.Time, buf []Row) []Row {
	r := newRNG(m.seed, uint64(b), uint64(j)+1)
	id := bucketGUID(&r, b)
	nrcpt := 1
	if r.chance(m.cfg.MultiRecipientFraction) {
		nrcpt = 2 + r.intn(m.cfg.MaxRecipients-1)
	}
	inbound := r.chance(m.cfg.InboundFraction)
	internal := !inbound && r.chance(0.3)
	var sender, fromIP, toIP string
	var nulls Nulls
	switch {
	case inbound:
		if r.chance(0.2) {
			sender = serviceSenders[r.intn(len(serviceSenders))]
			if strings.HasSuffix(sender, "@") {
				sender += externalDomains[r.intn(len(externalDomains))]
			}
		} else {
			sender = person(&r, externalDomains[r.intn(len(externalDomains))])
		}
		fromIP = publicIP(&r)
	case internal:
		sender = person(&r, m.cfg.Domain)
		fromIP = privateIP(&r)
	default:
		sender = person(&r, m.cfg.Domain)
		fromIP = privateIP(&r)
	}
	if !inbound && !internal {
		toIP = publicIP(&r)
	}
	subject := subjects[r.intn(len(subjects))]
	messageID := "<" + guid(&r) + "@" + microsoftHosts[r.intn(len(microsoftHosts))] + ">"
	if r.chance(m.cfg.NullFraction) {
		nulls |= NullMessageID
	}
	if r.chance(m.cfg.NullFraction) {
		nulls |= NullSubject
	}
	if r.chance(m.cfg.NullFraction / 4) {
		nulls |= NullSenderAddress
	}
	size := int32(2000 + r.intn(60000))
	if r.chance(0.1) {
		size += int32(r.intn(20_000_000))
	}
	for k := range nrcpt {
		var rcpt string
		if inbound || internal {
			rcpt = person(&r, m.cfg.Domain)
		} else {
			rcpt = person(&r, externalDomains[r.intn(len(externalDomains))])
		}
		if k > 0 {
			// Distinct recipients of one message: the row key must be unique.
			rcpt = strings.Replace(rcpt, "@", "."+strconv.Itoa(k)+"@", 1)
		}
		row := Row{
			ID: id, MessageID: messageID, Received: received, SenderAddress: sender,
			RecipientAddress: rcpt, Subject: subject, Size: size, FromIP: fromIP, ToIP: toIP,
			Nulls: nulls, Status: m.finalStatus(&r),
		}
		if r.chance(m.cfg.DelayedFraction) {
			u := r.float()
			row.VisibleAfter = time.Duration(u * u * float64(m.cfg.MaxVisibilityDelay))
		}
		if r.chance(m.cfg.ChangingFraction) {
			row.InterimStatus = StatusPending
			if r.chance(0.5) {
				row.InterimStatus = StatusGettingStatus
			}
			row.StatusAfter = row.VisibleAfter + time.Second + time.Duration(r.float()*float64(m.cfg.MaxChangeDelay))
		}
		buf = append(buf, row)
	}
	return buf
}

func (m *model) finalStatus(r *rng) Status {
	u := r.float()
	for i, c := range m.cumWeights {
		if u < c {
			return m.statuses[i]
		}
	}
	return m.statuses[len(m.statuses)-1]
}

func person(r *rng, domain string) string {
	f := firstNames[r.intn(len(firstNames))]
	l := lastNames[r.intn(len(lastNames))]
	return f + "." + l + "@" + domain
}

func guid(r *rng) string {
	var b [16]byte
	x, y := r.next(), r.next()
	for i := range 8 {
		b[i] = byte(x >> (8 * i))
		b[8+i] = byte(y >> (8 * i))
	}
	return formatGUID(b)
}

// bucketGUID is a message trace id whose last 12 hex digits are the
// bucket index: ids sort by time, as Exchange's do (their last group is
// time-based too), and the detail endpoint finds a message's bucket from
// its id alone.
func bucketGUID(r *rng, bucket int64) string {
	var b [16]byte
	x, y := r.next(), r.next()
	for i := range 8 {
		b[i] = byte(x >> (8 * i))
	}
	b[8], b[9] = byte(y), byte(y>>8)
	for i := range 6 {
		b[15-i] = byte(uint64(bucket) >> (8 * i))
	}
	return formatGUID(b)
}

// bucketOfGUID undoes bucketGUID.
func bucketOfGUID(id string) (int64, bool) {
	if len(id) != 36 || id[23] != '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(id[24:], 16, 64)
	return int64(v), err == nil
}

func formatGUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// publicIP is IPv4 from documentation/public-looking ranges, IPv6 for a
// fifth of senders.
func publicIP(r *rng) string {
	if r.chance(0.2) {
		return "2a01:111:f400:" + strconv.FormatUint(uint64(r.intn(0xffff)), 16) + "::" + strconv.FormatUint(uint64(1+r.intn(0xfffe)), 16)
	}
	return strconv.Itoa(20+r.intn(180)) + "." + strconv.Itoa(r.intn(256)) + "." + strconv.Itoa(r.intn(256)) + "." + strconv.Itoa(1+r.intn(254))
}

func privateIP(r *rng) string {
	if r.chance(0.1) {
		return "fd00::" + strconv.FormatUint(uint64(1+r.intn(0xfffe)), 16)
	}
	return "10." + strconv.Itoa(r.intn(256)) + "." + strconv.Itoa(r.intn(256)) + "." + strconv.Itoa(1+r.intn(254))
}
