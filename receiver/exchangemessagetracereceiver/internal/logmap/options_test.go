package logmap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFieldNames(t *testing.T) {
	for _, want := range []FieldNames{FieldNamesAPI, FieldNamesGraph, FieldNamesLegacy} {
		got, err := ParseFieldNames(want.String())
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseFieldNames("Legacy")
	assert.EqualError(t, err, `invalid field names "Legacy": valid values are "api", "graph" and "legacy"`)
}

func TestParseBodyFormat(t *testing.T) {
	for _, want := range []BodyFormat{BodyMap, BodyJSON} {
		got, err := ParseBodyFormat(want.String())
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := ParseBodyFormat("text")
	assert.EqualError(t, err, `invalid body format "text": valid values are "map" and "json"`)
}
