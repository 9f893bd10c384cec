//! Static types of field-map expressions, derived from documented response schemas.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{Field, FieldType};

/// The type of an expression's value. Vendor data can always be missing, so most types are nullable.
#[derive(Clone, Debug, PartialEq)]
pub struct Ty {
    /// The shape.
    pub kind: TyKind,
    /// Whether `null` is possible.
    pub nullable: bool,
}

/// Shapes of values.
#[derive(Clone, Debug, PartialEq)]
pub enum TyKind {
    /// Unknown: undocumented vendor data. Checks are skipped and conversions happen at run time.
    Any,
    /// Only `null`.
    Null,
    /// `true` / `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// A list of elements of one type.
    Array(Box<Ty>),
    /// A mapping; `None` fields means free-form (any keys).
    Object(Option<BTreeMap<String, Ty>>),
    /// A mapping with documented keys that also allows others of one type (HubSpot's `properties`:
    /// standard properties plus any custom one). Keys stay typed; other keys get the second type.
    Open(BTreeMap<String, Ty>, Box<Ty>),
}

impl Ty {
    /// A non-null type.
    pub fn of(kind: TyKind) -> Self {
        Self {
            kind,
            nullable: false,
        }
    }

    /// The same type, possibly null.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Unknown.
    pub fn any() -> Self {
        Self {
            kind: TyKind::Any,
            nullable: true,
        }
    }

    /// The type a documented field describes (nullable: vendor data may omit anything).
    pub fn from_field(field: &Field) -> Self {
        let kind = match field.ty.value {
            FieldType::String => TyKind::String,
            FieldType::Integer | FieldType::Number => TyKind::Number,
            FieldType::Boolean => TyKind::Bool,
            FieldType::Any => TyKind::Any,
            FieldType::Array => TyKind::Array(Box::new(
                field.items.as_deref().map_or_else(Ty::any, Ty::from_field),
            )),
            FieldType::Object => match (&field.properties, &field.additional_properties) {
                (Some(props), None) => TyKind::Object(Some(
                    props
                        .iter()
                        .map(|(k, v)| (k.value.clone(), Ty::from_field(v)))
                        .collect(),
                )),
                (Some(props), Some(extra)) => TyKind::Open(
                    props
                        .iter()
                        .map(|(k, v)| (k.value.clone(), Ty::from_field(v)))
                        .collect(),
                    Box::new(Ty::from_field(extra)),
                ),
                _ => TyKind::Object(None),
            },
        };
        Self {
            kind,
            nullable: true,
        }
    }

    /// Whether a value of this type can be stored where `target` is expected (strings do not silently
    /// become numbers: a conversion function must say so).
    pub fn fits(&self, target: &Ty) -> bool {
        match (&self.kind, &target.kind) {
            (TyKind::Any, _) | (_, TyKind::Any) | (TyKind::Null, _) => true,
            (TyKind::Bool, TyKind::Bool)
            | (TyKind::Number, TyKind::Number)
            | (TyKind::String, TyKind::String) => true,
            (TyKind::Array(a), TyKind::Array(b)) => a.fits(b),
            // Open objects may hold any key, so they fit and take objects like free-form ones.
            (TyKind::Object(_) | TyKind::Open(..), TyKind::Object(None) | TyKind::Open(..)) => true,
            (TyKind::Object(None) | TyKind::Open(..), TyKind::Object(Some(_))) => true,
            (TyKind::Object(Some(have)), TyKind::Object(Some(want))) => have
                .iter()
                .all(|(k, t)| want.get(k).is_some_and(|w| t.fits(w))),
            _ => false,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TyKind::Any => f.write_str("any")?,
            TyKind::Null => return f.write_str("null"),
            TyKind::Bool => f.write_str("boolean")?,
            TyKind::Number => f.write_str("number")?,
            TyKind::String => f.write_str("string")?,
            TyKind::Array(t) => write!(f, "array of {t}")?,
            TyKind::Object(None) | TyKind::Open(..) => f.write_str("object")?,
            TyKind::Object(Some(fields)) => {
                f.write_str("{")?;
                for (i, (k, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {t}")?;
                }
                f.write_str("}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_must_be_explicit() {
        let s = Ty::of(TyKind::String);
        let n = Ty::of(TyKind::Number);
        assert!(!s.fits(&n));
        assert!(s.fits(&Ty::any()));
        assert!(Ty::of(TyKind::Null).fits(&n));
        let arr_s = Ty::of(TyKind::Array(Box::new(s.clone())));
        assert!(arr_s.fits(&Ty::of(TyKind::Array(Box::new(Ty::any())))));
        assert!(!arr_s.fits(&Ty::of(TyKind::Array(Box::new(n)))));
        assert_eq!(arr_s.to_string(), "array of string");
    }
}
