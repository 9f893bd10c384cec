//! Every diagnostic code the compiler emits, with its explanation; `docs/diagnostics.md` shows each with an
//! example, and a test keeps the two in step.

/// A diagnostic code and what it means.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    /// Stable identifier: `E0001`, `W0001`, …
    pub id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $name: &Code = &Code { id: $id, summary: $summary };
        )*
        /// Every code, in order.
        pub const ALL: &[&Code] = &[$($name),*];
    };
}

codes! {
    YAML_SYNTAX = "E0001", "the file is not valid YAML";
    UNKNOWN_KEY = "E0002", "a key the definition format does not have";
    WRONG_TYPE = "E0003", "a value of the wrong type";
    MISSING_KEY = "E0004", "a required key is missing";
    DUPLICATE_KEY = "E0005", "the same key appears twice in one mapping";
    UNKNOWN_VALUE = "E0006", "a value outside the allowed set";
    INPUT_LIMIT = "E0007", "the input exceeds a size, depth or alias limit";
    NOT_UTF8 = "E0008", "the file is not UTF-8";
    EMPTY_FILE = "E0009", "the file holds no definition";
    BAD_NAME = "E0010", "an identifier is not snake_case or does not match the file name";
    UNDECLARED_PATH_PARAM = "E0101", "a `{param}` in a path is not documented";
    UNUSED_PATH_PARAM = "E0102", "a documented path parameter does not appear in the path";
    UNKNOWN_HTTP_VERB = "E0103", "an HTTP verb that is not GET, POST, PUT, PATCH or DELETE";
    SCOPE_NOT_STRING = "E0104", "an OAuth scope that is not a string";
    BAD_PATH = "E0105", "a method path that is not a plain path below the base URL";
    PARAM_DECLARED_TWICE = "E0106", "one parameter name used in two places of one method";
    BAD_METHOD_KIND = "E0107", "a method key or kind that does not fit";
    MISSING_DESCRIPTION = "E0108", "an input parameter without a description";
    BAD_FIELD = "E0109", "a field whose parts contradict its type";
    RESERVED_PARAM = "E0110", "a parameter name reserved for pagination";
    RECORD_ID_TAKEN = "E0111", "a get, update or delete method whose other parameter is already named `id`";
    PII_NOT_OUTPUT_FIELD = "E0112", "a `pii` mark on something that is not a field of a tool's output records";
    TOOL_NAME_COLLISION = "E0201", "two methods produce the same tool name";
    TOOL_NAME_TOO_LONG = "E0202", "a tool name longer than 64 characters";
    UNKNOWN_PAGINATION = "E0301", "a pagination rule name that is not declared";
    PAGINATION_PARAM_UNDECLARED = "E0302", "a pagination rule names a query parameter the method does not document";
    PAGINATION_INCOMPLETE = "E0303", "a pagination rule lacks what its style needs";
    PAGINATION_NOT_LIST = "E0304", "pagination on a method that is not a list";
    LIST_WITHOUT_PAGINATION = "E0305", "a list method with no pagination rule";
    BAD_POINTER = "E0401", "a JSON Pointer that is not well formed";
    BAD_URL = "E0402", "a URL that is not absolute, or a base URL with a path";
    BAD_RATE_LIMIT = "E0403", "a rate-limit header rule that cannot be read";
    NO_AUTH = "E0404", "an integration that declares no authentication scheme";
    RATE_LIMIT_CODE_UNREADABLE = "E0405", "a rate-limit rule matches an error code that is never read";
    BAD_DEAD_REFRESH_TOKEN = "E0406", "a dead-refresh-token rule that can never match";
    BAD_BASE_URL_VARIABLE = "E0408", "a base URL placeholder that is not declared or not in the host, a variable never used, or a pattern that does not compile";
    BAD_BROADER_SCOPE = "E0409", "a broader scope that covers no method's scope, itself, or another broad scope";
    BAD_ERROR_STATUS = "E0407", "an error rule for a status that is not an error status, or for one status twice";
    UNKNOWN_UNIFIED_MODEL = "E0501", "a unified map names a model that does not exist";
    UNKNOWN_MAP_RESOURCE = "E0502", "a unified map names a resource the integration does not have";
    UNKNOWN_UNIFIED_FIELD = "E0503", "a response map sets a field the unified model does not have";
    MAP_SYNTAX = "E0504", "a field-map expression that does not parse";
    MAP_TYPE = "E0505", "an unknown function, a wrong argument count or type in a field map";
    MAP_UNKNOWN_PATH = "E0506", "a field-map path into a field the documented schema does not have";
    MAP_RESULT_MISMATCH = "E0507", "a field-map result that does not fit its unified field";
    REQUIRED_FIELD_UNMAPPED = "E0508", "a required unified field that the response map leaves unset";
    UNKNOWN_READ_ARG = "E0509", "a unified map's read argument that the resource's list or get method does not take";
    UNDOCUMENTED_TARGET = "E0511", "a request-map target the resource's create or update method does not document in its body";
    BAD_PARENT = "E0512", "a model's parent that is not an object field with an id, or a unified map's parent argument missing or not taken by the list method";
    READ_BACK_UNSERVED = "E0510", "a unified map reads records back, but the resource cannot serve it";
    UNDOCUMENTED_METHOD = "W0001", "a method without documentation: no tool is generated for it";
    NO_RESPONSE_SCHEMA = "W0002", "a documented method without a response schema";
    UNUSED_PAGINATION = "W0003", "a pagination rule no method uses";
    MAP_NEAR_MISS = "W0004", "a field-map path to an undocumented key that looks like a misspelled documented one";
    CLIENT_UNSAFE_NAME = "W0005", "an input property name that agent frameworks or model APIs refuse";
    PII_SOURCE_UNMARKED = "W0006", "a vendor field that feeds a personal-data unified field is not marked `pii`";
}

/// Looks a code up by its identifier.
pub fn find(id: &str) -> Option<&'static Code> {
    ALL.iter().copied().find(|c| c.id == id)
}
