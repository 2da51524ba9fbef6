package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConsentMessagesGiveTheTenantsAdminConsentURL(t *testing.T) {
	s := Settings{TenantID: "contoso.onmicrosoft.com", ClientID: "00000000-0000-0000-0000-0000000000aa", AuthorityHost: DefaultAuthorityHost}
	url := "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=00000000-0000-0000-0000-0000000000aa"
	for _, code := range []int{700016, 7000229, 65001} {
		msg := operatorMessage(code, s)
		assert.Contains(t, msg, url, "AADSTS%d", code)
		assert.Contains(t, msg, "tenant contoso.onmicrosoft.com", "AADSTS%d", code)
	}
}
