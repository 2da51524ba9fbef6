package auth

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type countingCredential struct {
	calls int
	ttl   time.Duration
}

func (c *countingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls++
	return azcore.AccessToken{Token: "t" + string(rune('0'+c.calls)), ExpiresOn: time.Now().Add(c.ttl)}, nil
}

func TestAzureSourceKeepsTheTokenUntilItNearlyExpires(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		wantCalls int
	}{
		{"an hour's token is asked for once", time.Hour, 1},
		{"a token within the renewal margin is asked for every time", 2 * time.Minute, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := &countingCredential{ttl: tt.ttl}
			src := &azureSource{cred: cred, settings: Settings{Scope: "https://graph.microsoft.com/.default"}}
			for range 3 {
				tok, err := src.Token(context.Background())
				require.NoError(t, err)
				assert.NotEmpty(t, tok)
			}
			assert.Equal(t, tt.wantCalls, cred.calls)
		})
	}
}

func TestAzureSourceAsksAgainAfterARefusal(t *testing.T) {
	cred := &countingCredential{ttl: time.Hour}
	src := &azureSource{cred: cred, settings: Settings{Scope: "https://graph.microsoft.com/.default"}}
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	src.Invalidate("another-token")
	_, err = src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, cred.calls, "a refusal of a token no longer kept changes nothing")
	src.Invalidate(tok)
	_, err = src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, cred.calls)
}
