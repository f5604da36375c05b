package delta

import (
	"fmt"
	"strconv"
	"strings"
)

// LogDir is the log directory of a table, relative to the table root.
const LogDir = "_delta_log"

// FileKind classifies a name found in _delta_log.
type FileKind uint8

// The kinds of log files a reader recognises.
const (
	KindUnknown FileKind = iota
	KindCommit
	KindCheckpoint          // classic single-file checkpoint
	KindMultiPartCheckpoint // V.checkpoint.P.N.parquet
	KindUUIDCheckpoint      // V2: V.checkpoint.<uuid>.json|parquet
	KindCompacted           // X.Y.compacted.json
	KindCRC
	KindLastCheckpoint
)

// LogFile is a parsed _delta_log file name.
type LogFile struct {
	Name    string // the base name
	Kind    FileKind
	Version int64 // commit/checkpoint/crc version; for compactions the start
	EndVer  int64 // compactions: the last version covered
	Part    int   // multi-part checkpoints: 1..Parts
	Parts   int
}

// ParseLogName parses a base name inside _delta_log. Names that are not part
// of the protocol (Hadoop .crc side files, temp files, directories) return
// KindUnknown and must be ignored.
func ParseLogName(name string) LogFile {
	lf := LogFile{Name: name}
	if name == "_last_checkpoint" {
		lf.Kind = KindLastCheckpoint
		return lf
	}
	if len(name) < 21 || name[20] != '.' {
		return lf
	}
	v, ok := parseDigits(name[:20])
	if !ok {
		return lf
	}
	rest := name[21:]
	switch {
	case rest == "json":
		lf.Kind, lf.Version = KindCommit, v
	case rest == "crc":
		lf.Kind, lf.Version = KindCRC, v
	case rest == "checkpoint.parquet":
		lf.Kind, lf.Version = KindCheckpoint, v
	case strings.HasPrefix(rest, "checkpoint."):
		mid := rest[len("checkpoint."):]
		if strings.HasSuffix(mid, ".parquet") {
			mid2 := strings.TrimSuffix(mid, ".parquet")
			if len(mid2) == 21 && mid2[10] == '.' {
				p, ok1 := parseDigits(mid2[:10])
				n, ok2 := parseDigits(mid2[11:])
				if ok1 && ok2 && p >= 1 && p <= n {
					lf.Kind, lf.Version, lf.Part, lf.Parts = KindMultiPartCheckpoint, v, int(p), int(n)
					return lf
				}
			}
			if isUUID(mid2) {
				lf.Kind, lf.Version = KindUUIDCheckpoint, v
			}
		} else if strings.HasSuffix(mid, ".json") && isUUID(strings.TrimSuffix(mid, ".json")) {
			lf.Kind, lf.Version = KindUUIDCheckpoint, v
		}
	case strings.HasSuffix(rest, ".compacted.json"):
		e := strings.TrimSuffix(rest, ".compacted.json")
		if len(e) == 20 {
			if end, ok := parseDigits(e); ok && end > v {
				lf.Kind, lf.Version, lf.EndVer = KindCompacted, v, end
			}
		}
	}
	return lf
}

func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// CommitName returns the log-relative name of commit v.
func CommitName(v int64) string { return fmt.Sprintf("%s/%020d.json", LogDir, v) }

// CheckpointName returns the log-relative name of the classic checkpoint at v.
func CheckpointName(v int64) string { return fmt.Sprintf("%s/%020d.checkpoint.parquet", LogDir, v) }

// CRCName returns the name of the version checksum of v.
func CRCName(v int64) string { return fmt.Sprintf("%s/%020d.crc", LogDir, v) }

// LastCheckpointName is the name of the checkpoint hint.
const LastCheckpointName = LogDir + "/_last_checkpoint"
