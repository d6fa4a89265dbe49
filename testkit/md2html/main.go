// Command md2html renders a headroom Markdown report as a GitHub-like HTML
// page with Mermaid, for headless Chromium (scripts/render-pr-comment.sh).
// It is tooling: the CLI does not import it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: md2html REPORT.md MERMAID_JS_URL")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var buf bytes.Buffer
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := md.Convert(src, &buf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	body := strings.ReplaceAll(buf.String(), `<pre><code class="language-mermaid">`, `<pre class="mermaid">`)
	body = strings.ReplaceAll(body, "</code></pre>", "</pre>")
	fmt.Printf(`<!doctype html><html><head><meta charset="utf-8">
<style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328;max-width:1180px;margin:16px auto;padding:16px 24px;border:1px solid #d0d7de;border-radius:6px}
h2{font-size:1.5em;border-bottom:1px solid #d8dee4;padding-bottom:.3em}h3{font-size:1.25em}
table{border-collapse:collapse;margin:8px 0 16px;display:block;overflow:auto}th,td{border:1px solid #d0d7de;padding:6px 13px}th{font-weight:600}tr:nth-child(2n){background:#f6f8fa}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:85%%;background:rgba(175,184,193,.2);padding:.2em .4em;border-radius:6px}
pre.mermaid{background:#fff;text-align:center}
</style></head><body>%s
<script src="%s"></script>
<script>mermaid.initialize({startOnLoad:true,theme:"default"});</script>
</body></html>`, body, os.Args[2])
}
