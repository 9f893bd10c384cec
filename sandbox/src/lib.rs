//! Fake vendor APIs for demos and tests (in progress).
