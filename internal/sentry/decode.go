package sentry

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	segjson "github.com/segmentio/encoding/json"
)

// decodeAnswer decodes the first JSON value of a Sentry answer into out,
// numbers in interfaces as json.Number, as a json.Decoder with UseNumber
// does (which this replaced). It parses the answer in place with
// github.com/segmentio/encoding/json (go-sdk's decoder, in the module
// already): encoding/json's Decoder first copied the whole answer into a
// buffer of its own, and decoding was a fifth of a search_issues call's
// CPU. Field names still match case-insensitively, unknown fields are
// still ignored, and json.Unmarshaler types (the Flex ones below) are
// called as before. TestDecodeAnswerAsEncodingJSON holds it to that.
func decodeAnswer(body []byte, out any) error {
	_, err := segjson.Parse(body, out, segjson.UseNumber)
	return err
}

// Sentry's JSON is not consistent about types: ids are strings in one place
// and numbers in another (release.id, release.projects[].id, project_id in
// traces), issue "count" is a string while "userCount" is a number, times are
// RFC 3339 strings or Unix seconds, and nearly anything may be null. These
// types decode every such form, so a surprise in one field never fails a
// whole answer.

// FlexString decodes a JSON string, number or boolean to its text; null,
// objects and arrays decode to "".
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0, b[0] == 'n', b[0] == '{', b[0] == '[':
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	default:
		*s = FlexString(b)
	}
	return nil
}

// String returns the text.
func (s FlexString) String() string { return string(s) }

// FlexInt decodes a JSON number or numeric string ("25", 112.0) to an int64;
// null, "" and anything unparsable decode to 0.
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal([]byte(s), &s); err != nil {
			*n = 0
			return nil
		}
		s = strings.TrimSpace(s)
	}
	*n = 0
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = FlexInt(i)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		switch {
		case f >= math.MaxInt64:
			*n = math.MaxInt64
		case f <= math.MinInt64:
			*n = math.MinInt64
		default:
			*n = FlexInt(f)
		}
	}
	return nil
}

// Time decodes an RFC 3339 string (with or without fraction or zone) or Unix
// seconds; null, "" and unparsable text decode to the zero time.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal([]byte(s), &s); err != nil {
			return nil
		}
		for _, layout := range timeLayouts {
			if v, err := time.Parse(layout, s); err == nil {
				t.Time = v.UTC()
				return nil
			}
		}
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return nil
}
