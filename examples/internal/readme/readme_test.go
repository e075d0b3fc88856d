// Package readme compiles the repository README's Go snippets one by one,
// as a reader would paste them: each becomes the body of its own main
// function, with the imports its package names call for, and must build
// inside this module, which requires every adapter and store. The root
// module's TestReadmeSnippetsAreTested checks that each snippet also runs
// as part of an Example.
package readme

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// imports maps the package names snippets use to their import paths.
var imports = map[string]string{
	"bytes":       "bytes",
	"context":     "context",
	"errors":      "errors",
	"fmt":         "fmt",
	"http":        "net/http",
	"io":          "io",
	"log":         "log",
	"os":          "os",
	"slog":        "log/slog",
	"strings":     "strings",
	"template":    "html/template",
	"time":        "time",
	"url":         "net/url",
	"glomo":       "github.com/glomokit/glomo",
	"adapter":     "github.com/glomokit/glomo/adapter",
	"glomoapi":    "github.com/glomokit/glomo/glomoapi",
	"glomotest":   "github.com/glomokit/glomo/glomotest",
	"webhook":     "github.com/glomokit/glomo/webhook",
	"secure":      "github.com/unrolled/secure",
	"glomogin":    "github.com/glomokit/glomo/adapters/gin",
	"gin":         "github.com/gin-gonic/gin",
	"glomoecho":   "github.com/glomokit/glomo/adapters/echo",
	"glomoechov5": "github.com/glomokit/glomo/adapters/echov5",
	"glomochi":    "github.com/glomokit/glomo/adapters/chi",
	"chi":         "github.com/go-chi/chi/v5",
	"middleware":  "github.com/go-chi/chi/v5/middleware",
	"glomofiber":  "github.com/glomokit/glomo/adapters/fiber",
	"fiber":       "github.com/gofiber/fiber/v3",
	"glomoredis":  "github.com/glomokit/glomo/stores/redis",
	"redis":       "github.com/redis/go-redis/v9",
	"glomopg":     "github.com/glomokit/glomo/stores/postgres",
	"pgx":         "github.com/jackc/pgx/v5",
	"pgxpool":     "github.com/jackc/pgx/v5/pgxpool",
}

var (
	goBlock   = regexp.MustCompile("(?s)```go\n(.*?)```")
	qualified = regexp.MustCompile(`\b([a-z][a-z0-9]*)\.[A-Z]`)
	// A top-level short variable declaration: the names before :=.
	declared = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*(?:, *[A-Za-z_][A-Za-z0-9_]*)*) :?=`)
)

// program turns a snippet into a main package.
func program(snippet string) string {
	used := map[string]bool{}
	for _, m := range qualified.FindAllStringSubmatch(snippet, -1) {
		if _, ok := imports[m[1]]; ok {
			used[m[1]] = true
		}
	}
	paths := make([]string, 0, len(used))
	for name := range used {
		paths = append(paths, imports[name])
	}
	// echo is two modules; the adapter a snippet names decides which.
	if strings.Contains(snippet, "echo.") {
		if strings.Contains(snippet, "glomoechov5.") {
			paths = append(paths, "github.com/labstack/echo/v5")
		} else {
			paths = append(paths, "github.com/labstack/echo/v4")
		}
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n\nfunc main() {\n")
	b.WriteString(snippet)
	seen := map[string]bool{}
	for _, m := range declared.FindAllStringSubmatch(snippet, -1) {
		for _, name := range strings.Split(m[1], ",") {
			name = strings.TrimSpace(name)
			if name != "_" && !seen[name] {
				seen[name] = true
				fmt.Fprintf(&b, "\t_ = %s\n", name)
			}
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func TestReadmeSnippetsCompileAsShown(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command compiles the snippets")
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	require.NoError(t, err)
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks)

	here, err := filepath.Abs(".")
	require.NoError(t, err)
	overlay := map[string]map[string]string{"Replace": {}}
	tmp := t.TempDir()
	var pkgs []string
	sources := map[string]string{}
	for i, b := range blocks {
		src := program(b[1])
		file := filepath.Join(tmp, fmt.Sprintf("snippet%02d.go", i))
		require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
		dir := fmt.Sprintf("snippet%02d", i)
		overlay["Replace"][filepath.Join(here, dir, "main.go")] = file
		pkgs = append(pkgs, "./"+dir)
		sources["./"+dir] = b[1]
	}
	ov, err := json.Marshal(overlay)
	require.NoError(t, err)
	ovFile := filepath.Join(tmp, "overlay.json")
	require.NoError(t, os.WriteFile(ovFile, ov, 0o644))

	for _, pkg := range pkgs {
		t.Run(pkg, func(t *testing.T) {
			cmd := exec.Command(goBin, "build", "-overlay="+ovFile, "-o", os.DevNull, pkg)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("README snippet does not compile as shown:\n%s\n%s", sources[pkg], out)
			}
		})
	}
}
