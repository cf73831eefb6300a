package tools

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// A model reads "validating /properties/limit: maximum: 1000/1 is greater
// than 100.000000" poorly and a person not at all; explainInvalid says the
// same in words: "limit must be between 1 and 100 (got 1000)". The
// validator decides what is invalid; this only words it.

// patternWords names what a pattern accepts, for the patterns the catalog
// uses. A pattern not listed here is described by the parameter's own
// description.
var patternWords = map[string]string{
	`^[0-9a-fA-F]{32}$`:            "32 hexadecimal characters, like c49541c747cb4d8aa3efb70ca5aba243",
	slugPattern:                    "a slug: letters, digits, '.', '_' or '-', like acme",
	`^\d+[hdw]$`:                   "a number and a unit h, d or w, like 24h, 14d or 2w",
	`\S`:                           "not blank",
	eventIDOrLatest:                "latest, or an event id of 32 hexadecimal characters",
	`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`: "a tag key such as browser, release or url",
	`^-?[A-Za-z0-9_.]+(\([A-Za-z0-9_.]*\))?$`: "a field name, '-' first for descending, like -timestamp",
}

// explainInvalid words why instance fails schema; err is the validator's
// verdict, used as is when nothing more precise can be said.
func explainInvalid(s *jsonschema.Schema, instance map[string]any, err error) string {
	var problems []string
	for _, name := range s.Required {
		if v, ok := instance[name]; !ok || v == nil {
			problems = append(problems, name+" is required")
		}
	}
	for _, name := range slices.Sorted(mapKeys(instance)) {
		p := s.Properties[name]
		if p == nil {
			continue
		}
		if why := invalidValue(p, instance[name]); why != "" {
			problems = append(problems, name+" "+why)
		}
	}
	if len(problems) == 0 {
		return cleanValidation(err)
	}
	return strings.Join(problems, "; ")
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// invalidValue says what is wrong with v under p ("must be ..."), or "" if
// nothing this function checks is.
func invalidValue(p *jsonschema.Schema, v any) string {
	types := schemaTypes(p)
	if v == nil {
		if len(types) == 0 || slices.Contains(types, "null") {
			return ""
		}
	}
	if len(p.AnyOf) > 0 && len(types) == 0 {
		// nullable in the reference's style: anyOf [{...}, {type: null}]
		var last string
		for _, b := range p.AnyOf {
			why := invalidValue(b, v)
			if why == "" {
				return ""
			}
			if !slices.Contains(schemaTypes(b), "null") {
				last = why
			}
		}
		return last
	}
	if len(types) > 0 && !slices.Contains(types, jsonType(v)) &&
		!(jsonType(v) == "integer" && slices.Contains(types, "number")) {
		return "must be " + typeWords(types) + got(v)
	}
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		var vals []string
		for _, e := range p.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		return "must be one of " + strings.Join(vals, ", ") + got(v)
	}
	switch x := v.(type) {
	case float64:
		return invalidNumber(p, x, slices.Contains(types, "integer"))
	case string:
		n := utf8.RuneCountInString(x)
		switch {
		case p.MinLength != nil && n < *p.MinLength && *p.MinLength == 1:
			return "must not be empty"
		case p.MinLength != nil && n < *p.MinLength, p.MaxLength != nil && n > *p.MaxLength:
			return "must be " + lengthWords(p.MinLength, p.MaxLength) + fmt.Sprintf(" (got %d)", n)
		case p.Pattern != "" && !matches(p.Pattern, x):
			if words, ok := patternWords[p.Pattern]; ok {
				return "must be " + words + got(v)
			}
			return "is not in the form the parameter's description gives" + got(v)
		}
	}
	return ""
}

func invalidNumber(p *jsonschema.Schema, x float64, integer bool) string {
	lo, hi := "", ""
	bad := integer && x != math.Trunc(x)
	if p.Minimum != nil {
		lo = num(*p.Minimum)
		bad = bad || x < *p.Minimum
	}
	if p.ExclusiveMinimum != nil {
		// Integers above an exclusive minimum m start at m+1.
		if integer {
			lo = num(*p.ExclusiveMinimum + 1)
		} else {
			lo = "more than " + num(*p.ExclusiveMinimum)
		}
		bad = bad || x <= *p.ExclusiveMinimum
	}
	if p.Maximum != nil {
		hi = num(*p.Maximum)
		bad = bad || x > *p.Maximum
	}
	if p.ExclusiveMaximum != nil {
		hi = "less than " + num(*p.ExclusiveMaximum)
		bad = bad || x >= *p.ExclusiveMaximum
	}
	if !bad {
		return ""
	}
	kind := "a number"
	if integer {
		kind = "a whole number"
	}
	switch {
	case lo != "" && hi != "" && hi != num(maxSafeInteger):
		return fmt.Sprintf("must be %s from %s to %s%s", kind, lo, hi, got(x))
	case lo != "":
		return fmt.Sprintf("must be %s of at least %s%s", kind, lo, got(x))
	case hi != "":
		return fmt.Sprintf("must be %s of at most %s%s", kind, hi, got(x))
	}
	return "must be " + kind + got(x)
}

// maxSafeInteger is the reference server's "no maximum" (2^53-1).
const maxSafeInteger = 1<<53 - 1

func num(f float64) string { return fmt.Sprintf("%g", f) }

func lengthWords(lo, hi *int) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d to %d characters", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("at least %d characters", *lo)
	case hi != nil:
		return fmt.Sprintf("at most %d characters", *hi)
	}
	return "of another length"
}

func got(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf(" (got %q)", shorten(x, 60))
	case float64:
		return " (got " + num(x) + ")"
	case nil:
		return " (got null)"
	case bool:
		return fmt.Sprintf(" (got %t)", x)
	}
	return " (got " + jsonType(v) + ")"
}

func schemaTypes(p *jsonschema.Schema) []string {
	var ts []string
	if p.Type != "" {
		ts = append(ts, p.Type)
	}
	return append(ts, p.Types...)
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func typeWords(types []string) string {
	words := map[string]string{"string": "text", "integer": "a whole number", "number": "a number",
		"boolean": "true or false", "array": "a list", "object": "an object", "null": "null"}
	var out []string
	for _, t := range types {
		out = append(out, words[t])
	}
	return strings.Join(out, " or ")
}

// matches reports whether s matches the JSON Schema pattern; a pattern Go
// cannot compile counts as a match (the validator has the last word). Only
// refused input gets here, so the pattern is compiled each time.
func matches(pattern, s string) bool {
	re, err := regexp.Compile(pattern)
	return err != nil || re.MatchString(s)
}
