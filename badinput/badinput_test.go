package badinput

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIs(t *testing.T) {
	assert.True(t, Is(Errorf("--stack %s: unknown", "x")))
	assert.True(t, Is(fmt.Errorf("wrapped: %w", Wrap(errors.New("bad")))), "through wrapping")
	assert.False(t, Is(errors.New("engine failed")))
	assert.False(t, Is(nil))
	assert.NoError(t, Wrap(nil))
	assert.Equal(t, "--stack x: unknown", Errorf("--stack %s: unknown", "x").Error())
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "first (…)", OneLine(" first \nsecond"))
	assert.Equal(t, "only", OneLine("only\n"))
}

func TestPathCause(t *testing.T) {
	_, err := os.Open("/does/not/exist")
	assert.ErrorIs(t, PathCause(err), os.ErrNotExist)
	assert.NotContains(t, PathCause(err).Error(), "/does/not/exist")
	other := errors.New("x")
	assert.Equal(t, other, PathCause(other))
}
