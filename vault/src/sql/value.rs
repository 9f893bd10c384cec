//! The values that cross the [`Sql`](super::Sql) boundary, and the rows that come back.

use std::fmt;

use super::SqlError;

/// One parameter or one column value. The vault stores nothing else: integers are `BIGINT` (`i64`),
/// text is `TEXT`, bytes are `BLOB` (SQLite) / `BYTEA` (PostgreSQL), booleans are `BOOLEAN`
/// (SQLite keeps them as the integers 0 and 1; [`Row::get_bool`] reads either).
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL` (of whatever type the statement expects).
    Null,
    /// An integer.
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A boolean (bound as 0/1 in SQLite).
    Bool(bool),
}

impl Value {
    /// The variant's name, for messages (never the value itself).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "Null",
            Self::Int(_) => "Int",
            Self::Text(_) => "Text",
            Self::Blob(_) => "Blob",
            Self::Bool(_) => "Bool",
        }
    }
}

/// Shows the kind and size only: values may be secrets (sealed or not), and `Debug` ends up in logs.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("Null"),
            Self::Int(_) => f.write_str("Int(..)"),
            Self::Text(s) => write!(f, "Text({} bytes)", s.len()),
            Self::Blob(b) => write!(f, "Blob({} bytes)", b.len()),
            Self::Bool(_) => f.write_str("Bool(..)"),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(v)
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Self::Blob(v.to_vec())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// One result row: its values in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Column `i` (from 0) as it came back.
    pub fn get(&self, i: usize) -> Result<&Value, SqlError> {
        self.0.get(i).ok_or_else(|| {
            SqlError::Other(format!(
                "column {i} does not exist: the row has {} column(s)",
                self.0.len()
            ))
        })
    }

    /// Column `i` as a non-null integer.
    pub fn get_i64(&self, i: usize) -> Result<i64, SqlError> {
        self.get_opt_i64(i)?.ok_or_else(|| null_error(i, "Int"))
    }

    /// Column `i` as an integer or `NULL`.
    pub fn get_opt_i64(&self, i: usize) -> Result<Option<i64>, SqlError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(type_error(i, "Int", other)),
        }
    }

    /// Column `i` as non-null text.
    pub fn get_text(&self, i: usize) -> Result<String, SqlError> {
        self.get_opt_text(i)?.ok_or_else(|| null_error(i, "Text"))
    }

    /// Column `i` as text or `NULL`.
    pub fn get_opt_text(&self, i: usize) -> Result<Option<String>, SqlError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(type_error(i, "Text", other)),
        }
    }

    /// Column `i` as non-null bytes.
    pub fn get_blob(&self, i: usize) -> Result<Vec<u8>, SqlError> {
        self.get_opt_blob(i)?.ok_or_else(|| null_error(i, "Blob"))
    }

    /// Column `i` as bytes or `NULL`.
    pub fn get_opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, SqlError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Blob(v) => Ok(Some(v.clone())),
            other => Err(type_error(i, "Blob", other)),
        }
    }

    /// Column `i` as a non-null boolean: a PostgreSQL `BOOLEAN`, or the integer 0 or 1 that SQLite
    /// stores for one (any other integer is an error, not `true`).
    pub fn get_bool(&self, i: usize) -> Result<bool, SqlError> {
        self.get_opt_bool(i)?.ok_or_else(|| null_error(i, "Bool"))
    }

    /// Column `i` as a boolean or `NULL`; see [`get_bool`](Self::get_bool).
    pub fn get_opt_bool(&self, i: usize) -> Result<Option<bool>, SqlError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Bool(v) => Ok(Some(*v)),
            Value::Int(0) => Ok(Some(false)),
            Value::Int(1) => Ok(Some(true)),
            Value::Int(_) => Err(SqlError::Other(format!(
                "column {i}: expected Bool, found an Int other than 0 or 1"
            ))),
            other => Err(type_error(i, "Bool", other)),
        }
    }
}

fn null_error(i: usize, expected: &str) -> SqlError {
    SqlError::Other(format!("column {i}: expected {expected}, found Null"))
}

fn type_error(i: usize, expected: &str, found: &Value) -> SqlError {
    SqlError::Other(format!(
        "column {i}: expected {expected}, found {}",
        found.kind()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_name_the_column_and_the_type_found_never_the_value() {
        let row = Row(vec![
            Value::Text("s3cret".into()),
            Value::Null,
            Value::Int(7),
        ]);
        let err = row.get_i64(0).unwrap_err().to_string();
        assert!(
            err.contains("column 0") && err.contains("found Text"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        let err = row.get_text(1).unwrap_err().to_string();
        assert!(
            err.contains("column 1") && err.contains("found Null"),
            "{err}"
        );
        assert_eq!(row.get_opt_text(1).unwrap(), None);
        assert!(row.get_bool(2).unwrap_err().to_string().contains("0 or 1"));
        assert!(row.get_i64(3).unwrap_err().to_string().contains("column 3"));
        assert!(!format!("{row:?}").contains("s3cret"));
    }

    #[test]
    fn conversions() {
        assert_eq!(Value::from(Some(3_i64)), Value::Int(3));
        assert_eq!(Value::from(None::<&str>), Value::Null);
        assert_eq!(Value::from(&b"ab"[..]), Value::Blob(b"ab".to_vec()));
        assert_eq!(Value::from(true), Value::Bool(true));
        let row = Row(vec![Value::Int(1), Value::Bool(false)]);
        assert!(row.get_bool(0).unwrap());
        assert!(!row.get_bool(1).unwrap());
    }
}
