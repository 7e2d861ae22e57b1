// Package web serves the trader's dashboard and the pipeline monitor: server-rendered HTML
// and SVG that work without JavaScript, updated live over server-sent events where
// JavaScript runs. Everything it needs is embedded in the binary.
package web
