//! Black-box conformance scenarios for Sachet servers.
