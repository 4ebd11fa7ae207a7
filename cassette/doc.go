// Package cassette records HTTP exchanges with the Luma API as sanitized, diff-friendly JSON files and replays
// them offline.
//
// A cassette is a directory of JSON files, one Entry per recorded message (see Entry for the layout). A
// Recorder writes them, leaving every credential out (see Recorder); a Replayer answers requests from them and
// hands the rest to a fallback, the mock in lumamock serve --replay (see Replayer).
package cassette
