//! Integration tests: one test binary, one module per feature under `tests/integration/`.

mod integration {
    mod signatures;
}
