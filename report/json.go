package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of the JSON rendering; it
// is the documented contract of `headroom plan --format json`.
//
//go:embed plan.schema.json
var SchemaJSON []byte

// SchemaURL is the schema's $id.
const SchemaURL = "https://github.com/headroom-dev/headroom/report/plan.schema.json"

// JSON writes the report as indented JSON (stable field order, sorted map keys).
func JSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// Schema returns the compiled JSON Schema.
func Schema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource(SchemaURL, strings.NewReader(string(SchemaJSON))); err != nil {
			schemaErr = fmt.Errorf("plan.schema.json: %w", err)
			return
		}
		schema, schemaErr = c.Compile(SchemaURL)
	})
	return schema, schemaErr
}

// Validate checks a JSON document against the schema.
func Validate(doc []byte) error {
	s, err := Schema()
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("report JSON: %w", err)
	}
	return s.Validate(v)
}
