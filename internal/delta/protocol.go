package delta

import (
	"fmt"
	"slices"
	"strings"
)

// What this implementation supports. A reader feature not listed is refused
// before any file action is interpreted, so that we never return wrong rows.
var (
	supportedReaderFeatures = []string{"timestampNtz", "vacuumProtocolCheck", "typeWidening", "typeWidening-preview", "columnMapping", "deletionVectors", "v2Checkpoint"}
	// Writer features we honour when writing (the reader ones included).
	supportedWriterFeatures = []string{"appendOnly", "invariants", "timestampNtz", "vacuumProtocolCheck"}
)

const (
	maxReaderVersion = 3
	maxWriterVersion = 7
)

// checkRead returns an error naming the first protocol requirement this
// reader does not implement. Reader version 2 means column mapping, which
// matters only when a mapping mode is set.
func checkRead(p *Protocol, md *Metadata) error {
	if p.MinReaderVersion > maxReaderVersion {
		return &UnsupportedError{What: "reader version", Name: fmt.Sprint(p.MinReaderVersion)}
	}
	if md != nil {
		switch mode := md.Configuration["delta.columnMapping.mode"]; mode {
		case "", "none", "name", "id":
		default:
			return &UnsupportedError{What: "column mapping mode", Name: mode}
		}
	}
	if p.MinReaderVersion == 3 {
		for _, f := range p.ReaderFeatures {
			if !slices.Contains(supportedReaderFeatures, f) {
				return &UnsupportedError{What: "reader feature", Name: f}
			}
		}
	}
	return nil
}

// checkWrite returns an error naming the first protocol requirement this
// writer does not implement.
func checkWrite(p *Protocol, md *Metadata) error {
	if err := checkRead(p, md); err != nil {
		return err
	}
	if p.MinWriterVersion > maxWriterVersion {
		return &UnsupportedError{What: "writer version", Name: fmt.Sprint(p.MinWriterVersion)}
	}
	if p.MinWriterVersion == 7 {
		for _, f := range p.WriterFeatures {
			if !slices.Contains(supportedWriterFeatures, f) {
				return &UnsupportedError{What: "writer feature", Name: f}
			}
		}
		return nil
	}
	// Legacy writer versions imply their features.
	legacy := map[int]string{3: "checkConstraints", 4: "changeDataFeed", 5: "columnMapping", 6: "identityColumns"}
	for v := 3; v <= p.MinWriterVersion && v <= 6; v++ {
		return &UnsupportedError{What: "writer version", Name: fmt.Sprintf("%d (%s)", p.MinWriterVersion, legacy[v])}
	}
	if md != nil {
		for k := range md.Configuration {
			if strings.HasPrefix(k, "delta.constraints.") {
				return &UnsupportedError{What: "writer feature", Name: "checkConstraints"}
			}
		}
	}
	return nil
}

// isAppendOnly reports whether the table refuses removes.
func isAppendOnly(md *Metadata) bool {
	return strings.EqualFold(md.Configuration["delta.appendOnly"], "true")
}
