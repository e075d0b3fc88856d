package main

import (
	"fmt"
	"io"
	"strings"
)

// writeText prints the report for a person.
func writeText(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "glomo doctor %s\n", rep.URL)
	for _, h := range rep.Redirects {
		fmt.Fprintf(w, "  redirect %d %s -> %s\n", h.Status, h.URL, h.Location)
	}
	if rep.ExitCode == exitUsage {
		fmt.Fprintf(w, "\nCould not check: %s\n", rep.Error)
		fmt.Fprintf(w, "\nVerdict: not checked (exit 2)\n")
		return
	}
	fmt.Fprintf(w, "  page     %d %s (%s, %d bytes%s)\n", rep.Status, rep.FinalURL, rep.ContentType, rep.BodyBytes, truncNote(rep.BodyTruncated))

	fmt.Fprintf(w, "\nCOOP\n")
	fmt.Fprintf(w, "  Cross-Origin-Opener-Policy: %s -> browsers read %s%s\n", valuesOrNone(rep.COOP.Values), rep.COOP.Effective, popupNote(rep.COOP.SeversPopup))
	if len(rep.COOP.ReportOnlyValues) > 0 {
		fmt.Fprintf(w, "  Cross-Origin-Opener-Policy-Report-Only: %s -> reports as %s\n", valuesOrNone(rep.COOP.ReportOnlyValues), rep.COOP.ReportOnlyEffective)
	}
	if len(rep.COOP.COEPValues) > 0 {
		fmt.Fprintf(w, "  Cross-Origin-Embedder-Policy: %s%s\n", valuesOrNone(rep.COOP.COEPValues), isolationNote(rep.COOP.CrossOriginIsolated))
	}

	fmt.Fprintf(w, "\nCSP\n")
	if len(rep.Policies) == 0 {
		fmt.Fprintf(w, "  none: scripts, frames and connections are unrestricted\n")
	}
	for i, p := range rep.Policies {
		fmt.Fprintf(w, "  [%d] %s\n      %s\n", i, policyLabel(p), p.Policy)
		for _, k := range []struct {
			name string
			l    Load
		}{{"script ", p.Script}, {"frame  ", p.Frame}, {"connect", p.Connect}} {
			fmt.Fprintf(w, "      %s %s\n", k.name, loadText(k.l, p.Enforced))
		}
		if len(p.Changes) > 0 {
			fmt.Fprintf(w, "      send instead: %s\n", p.Merged)
			for _, c := range p.Changes {
				fmt.Fprintf(w, "        %s\n", changeText(c))
			}
		}
	}
	if len(rep.GlomoScripts) > 0 {
		fmt.Fprintf(w, "\nGlomo scripts\n")
		for _, s := range rep.GlomoScripts {
			fmt.Fprintf(w, "  %s\n", scriptText(s))
		}
	}
	if b := rep.Browser; b != nil {
		fmt.Fprintf(w, "\nBrowser (%s)\n", b.Version)
		for _, pr := range []struct {
			name string
			p    Probe
		}{{"script ", b.Script}, {"frame  ", b.Frame}, {"connect", b.Connect}, {"popup  ", b.Popup}} {
			fmt.Fprintf(w, "  %s %s\n", pr.name, probeText(pr.p))
		}
	}

	fmt.Fprintf(w, "\nFindings\n")
	if len(rep.Findings) == 0 {
		fmt.Fprintf(w, "  none\n")
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "  %-7s %s: %s\n", strings.ToUpper(f.Severity), f.Rule, f.Message)
		for _, fx := range f.Fixes {
			label := "fix"
			if fx.Stack != "any" {
				label = "fix (" + fx.Stack + ")"
			}
			fmt.Fprintf(w, "          %s:\n%s\n", label, indent(fx.Text, "            "))
		}
	}
	errs, warns := 0, 0
	for _, f := range rep.Findings {
		switch f.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warns++
		}
	}
	if rep.ExitCode == exitOK {
		fmt.Fprintf(w, "\nVerdict: Glomo Checkout would work on this page (%s; exit 0)\n", count(warns, "warning"))
	} else {
		fmt.Fprintf(w, "\nVerdict: Glomo Checkout would NOT work on this page (%s, %s; exit 1)\n", count(errs, "error"), count(warns, "warning"))
	}
}

// count returns "1 error" or "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func truncNote(t bool) string {
	if t {
		return ", truncated"
	}
	return ""
}

func valuesOrNone(v []string) string {
	switch len(v) {
	case 0:
		return "(none)"
	case 1:
		return v[0]
	}
	return fmt.Sprintf("%q (%d lines)", v, len(v))
}

func popupNote(severs bool) string {
	if severs {
		return ": the checkout popup is cut off"
	}
	return ": the checkout popup stays connected"
}

func isolationNote(iso bool) string {
	if iso {
		return " (the page is cross-origin isolated)"
	}
	return ""
}

func loadText(l Load, enforced bool) string {
	switch {
	case l.Directive == "":
		return "allowed (unrestricted)"
	case l.Allowed:
		return "allowed by " + l.Directive
	case enforced:
		return "BLOCKED by " + l.Directive
	}
	return "would be blocked by " + l.Directive + " (report-only)"
}

func changeText(c Change) string {
	var parts []string
	if c.Created {
		s := "create " + c.Directive
		if c.SeededFrom != "" {
			s += " (seeded from " + c.SeededFrom + ")"
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, c.Directive+":")
	}
	if len(c.Added) > 0 {
		parts = append(parts, "+ "+strings.Join(c.Added, " "))
	}
	if len(c.Removed) > 0 {
		parts = append(parts, "- "+strings.Join(c.Removed, " "))
	}
	return strings.Join(parts, " ")
}

func scriptText(s GlomoScript) string {
	kind := "script"
	if s.Module {
		kind = "module script"
	}
	where := "inline " + kind
	if !s.Inline {
		where = kind + " src=" + s.Src
	}
	nonce := "without nonce"
	if s.Nonce {
		nonce = "with nonce"
	}
	status := "runs"
	if s.Blocked {
		status = "BLOCKED by the CSP"
	}
	if !s.Inline {
		return where + " (" + nonce + ")"
	}
	return where + " (" + nonce + "): " + status
}

func probeText(p Probe) string {
	s := p.Outcome
	if p.Directive != "" {
		s += " by " + p.Directive
	}
	if len(p.ReportOnly) > 0 {
		s += " (report-only: " + strings.Join(p.ReportOnly, ", ") + ")"
	}
	if p.Detail != "" {
		s += " - " + p.Detail
	}
	return s
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
