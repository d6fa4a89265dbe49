package probe

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func withPassword(t *testing.T, dsn, pw string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String()
}
