package glomo_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// normalizedLines drops indentation and blank lines, so that a README
// snippet can be found inside an indented Example body.
func normalizedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsRun(haystack, needle []string) bool {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		match := true
		for j := range needle {
			if haystack[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// TestReadmeSnippetsAreTested checks that every Go snippet of the README
// is part of a test file of this repository (a runnable Example), so the
// README cannot drift from code that compiles and runs.
func TestReadmeSnippetsAreTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var sources [][]string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") && path != "readme_test.go" {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, normalizedLines(string(b)))
		}
		return nil
	})
	require.NoError(t, err)

	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		snippet := normalizedLines(b[1])
		found := false
		for _, src := range sources {
			if containsRun(src, snippet) {
				found = true
				break
			}
		}
		assert.True(t, found, "README snippet is not in any test file:\n%s", b[1])
	}
}
