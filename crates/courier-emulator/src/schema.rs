//! The static registry of the objects the emulator serves: each object's fields with their
//! types and rules. Payload validation, query typing and the model service
//! (`GET /services/core/model`) all read it, so the three never disagree.

use serde_json::{Map, Value, json};

/// The type of a field, as far as validation and comparison care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The system key: a string of digits, compared as a number.
    Key,
    Text,
    /// Money and other decimals: a string with two decimals (`"28800.00"`).
    Decimal,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    Enum(&'static [&'static str]),
    /// A `{key, id, href}` reference to a record of the named object.
    Ref(&'static str),
    /// The `{key, id, name, href}` entity a record belongs to (null members at top level).
    Entity,
    /// The read-only `audit` group.
    Audit,
    /// The record's own relative `href`.
    Href,
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    pub(crate) read_only: bool,
    pub(crate) mutable: bool,
    pub(crate) nullable: bool,
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        read_only: false,
        mutable: true,
        nullable: true,
    }
}

const fn system(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        read_only: true,
        mutable: false,
        nullable: false,
    }
}

const fn required(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
        read_only: false,
        mutable: true,
        nullable: false,
    }
}

/// `id` is the user-facing identifier: required, and fixed once the record exists.
const ID: Field = Field {
    name: "id",
    kind: Kind::Text,
    required: true,
    read_only: false,
    mutable: false,
    nullable: false,
};
const KEY: Field = system("key", Kind::Key);
const HREF: Field = system("href", Kind::Href);
const AUDIT: Field = system("audit", Kind::Audit);
const ENTITY: Field = system("entity", Kind::Entity);
const STATUS: Field = Field {
    nullable: false,
    ..field("status", Kind::Enum(&["active", "inactive"]))
};

/// An object the emulator serves.
#[derive(Debug)]
pub(crate) struct ObjectSpec {
    /// `application/object`, as in the path and the query service.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
}

impl ObjectSpec {
    pub(crate) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The part after the application: `vendor` for `accounts-payable/vendor`.
    pub(crate) fn short_name(&self) -> &'static str {
        self.name.rsplit('/').next().unwrap_or(self.name)
    }
}

pub(crate) const VENDOR: &str = "accounts-payable/vendor";
pub(crate) const CUSTOMER: &str = "accounts-receivable/customer";
pub(crate) const ACCOUNT: &str = "general-ledger/account";
pub(crate) const DEPARTMENT: &str = "company-config/department";
pub(crate) const LOCATION: &str = "company-config/location";
pub(crate) const EMPLOYEE: &str = "company-config/employee";
pub(crate) const ENTITY_OBJECT: &str = "company-config/entity";
pub(crate) const USER: &str = "company-config/user";

/// Every object, in the order the model catalogue lists them.
pub(crate) static OBJECTS: [ObjectSpec; 8] = [
    ObjectSpec {
        name: VENDOR,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("taxId", Kind::Text),
            field("creditLimit", Kind::Decimal),
            system("totalDue", Kind::Decimal),
            field("billingType", Kind::Enum(&["openItem", "balanceForward"])),
            field(
                "paymentPriority",
                Kind::Enum(&["low", "normal", "high", "urgent"]),
            ),
            field("isOnHold", Kind::Boolean),
            field("vendorAccountNumber", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: CUSTOMER,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("creditLimit", Kind::Decimal),
            system("totalDue", Kind::Decimal),
            field("isOnHold", Kind::Boolean),
            field("currency", Kind::Text),
            field("emailAddress", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: ACCOUNT,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field(
                "accountType",
                Kind::Enum(&["balanceSheet", "incomeStatement"]),
            ),
            field("normalBalance", Kind::Enum(&["debit", "credit"])),
            field(
                "closingType",
                Kind::Enum(&["nonClosingAccount", "closingAccount"]),
            ),
            field("isTaxable", Kind::Boolean),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: DEPARTMENT,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("parent", Kind::Ref(DEPARTMENT)),
            field("reportTitle", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: LOCATION,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("parent", Kind::Ref(LOCATION)),
            field("startDate", Kind::Date),
            field("currency", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: EMPLOYEE,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("jobTitle", Kind::Text),
            field("startDate", Kind::Date),
            field("department", Kind::Ref(DEPARTMENT)),
            field("location", Kind::Ref(LOCATION)),
            field("manager", Kind::Ref(EMPLOYEE)),
            ENTITY,
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: ENTITY_OBJECT,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("currency", Kind::Text),
            AUDIT,
            HREF,
        ],
    },
    ObjectSpec {
        name: USER,
        fields: &[
            KEY,
            ID,
            required("name", Kind::Text),
            STATUS,
            field("userType", Kind::Enum(&["business", "webServices"])),
            HREF,
        ],
    },
];

/// The object named `application/object`, or by its short name alone (`vendor`), which the
/// query service also takes (intacct-api.md §3).
pub(crate) fn lookup(name: &str) -> Option<&'static ObjectSpec> {
    OBJECTS
        .iter()
        .find(|spec| spec.name == name)
        .or_else(|| OBJECTS.iter().find(|spec| spec.short_name() == name))
}

/// The object named exactly `application/object` (paths take no short names).
pub(crate) fn lookup_exact(name: &str) -> Option<&'static ObjectSpec> {
    OBJECTS.iter().find(|spec| spec.name == name)
}

/// The fields of the `audit` group, all read-only.
pub(crate) const AUDIT_FIELDS: [&str; 4] = [
    "createdDateTime",
    "modifiedDateTime",
    "createdBy",
    "modifiedBy",
];

/// The sub-fields a dotted path may name inside a field of this kind (`department.id`).
pub(crate) fn subfields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Ref(_) => &["key", "id", "href"],
        Kind::Entity => &["key", "id", "name", "href"],
        Kind::Audit => &[
            "createdDateTime",
            "modifiedDateTime",
            "createdBy",
            "modifiedBy",
            "createdByUser",
            "modifiedByUser",
        ],
        _ => &[],
    }
}

/// The kind a dotted path compares as: `audit.createdDateTime` is a date-time text,
/// `department.key` a key, the other reference members text.
pub(crate) fn path_kind(spec: &ObjectSpec, path: &str) -> Option<Kind> {
    let mut parts = path.splitn(2, '.');
    let head = spec.field(parts.next()?)?;
    match parts.next() {
        None => Some(head.kind),
        Some(member) => {
            if !subfields(head.kind).contains(&member) {
                return None;
            }
            Some(match member {
                "key" | "createdBy" | "modifiedBy" => Kind::Key,
                _ => Kind::Text,
            })
        }
    }
}

fn describe(field: &Field) -> Value {
    let mut out = Map::new();
    let (ty, format) = match field.kind {
        Kind::Boolean => ("boolean", None),
        Kind::Decimal => ("string", Some("decimal-precision-2")),
        Kind::Date => ("string", Some("date")),
        _ => ("string", None),
    };
    out.insert("type".into(), json!(ty));
    if let Some(format) = format {
        out.insert("format".into(), json!(format));
    }
    out.insert("readOnly".into(), json!(field.read_only));
    out.insert("writeOnly".into(), json!(false));
    out.insert("required".into(), json!(field.required));
    out.insert("nullable".into(), json!(field.nullable));
    out.insert("mutable".into(), json!(field.mutable));
    if let Kind::Enum(values) = field.kind {
        out.insert("enum".into(), json!(values));
        if field.name == "status" {
            out.insert("default".into(), json!("active"));
        }
    }
    Value::Object(out)
}

fn ref_fields(members: &[&'static str]) -> Value {
    let fields: Map<String, Value> = members
        .iter()
        .map(|member| {
            let field = Field {
                mutable: *member != "href",
                read_only: *member == "href",
                ..field(member, Kind::Text)
            };
            ((*member).to_owned(), describe(&field))
        })
        .collect();
    Value::Object(fields)
}

fn user_ref() -> Value {
    json!({"apiObject": USER, "fields": ref_fields(&["key", "id", "href"])})
}

/// The model service's description of an object (intacct-api.md §5): `fields`, `groups`,
/// `refs`, `lists`, `httpMethods`, `idempotenceSupported`.
pub(crate) fn model(spec: &ObjectSpec) -> Value {
    let mut fields = Map::new();
    let mut refs = Map::new();
    let mut groups = Map::new();
    for field in spec.fields {
        match field.kind {
            Kind::Ref(target) => {
                refs.insert(
                    field.name.into(),
                    json!({"apiObject": target, "fields": ref_fields(subfields(field.kind))}),
                );
            }
            Kind::Entity => {
                refs.insert(
                    field.name.into(),
                    json!({"apiObject": ENTITY_OBJECT, "fields": ref_fields(subfields(field.kind))}),
                );
            }
            Kind::Audit => {
                let audit: Map<String, Value> = AUDIT_FIELDS
                    .iter()
                    .map(|name| {
                        let format = if name.ends_with("DateTime") {
                            json!({"type": "string", "format": "date-time", "readOnly": true,
                                   "writeOnly": false, "required": false, "nullable": true,
                                   "mutable": false})
                        } else {
                            describe(&system(name, Kind::Text))
                        };
                        ((*name).to_owned(), format)
                    })
                    .collect();
                groups.insert(
                    "audit".into(),
                    json!({"fields": audit, "refs": {"createdByUser": user_ref(), "modifiedByUser": user_ref()}}),
                );
            }
            _ => {
                fields.insert(field.name.into(), describe(field));
            }
        }
    }
    json!({
        "fields": fields,
        "groups": groups,
        "refs": refs,
        "lists": [],
        "httpMethods": "OPTIONS,GET,POST,DELETE,PATCH",
        "idempotenceSupported": true,
    })
}

/// The model catalogue (`GET /services/core/model` without `name`); its shape is inferred.
pub(crate) fn catalogue() -> Value {
    Value::Array(
        OBJECTS
            .iter()
            .map(|spec| {
                json!({
                    "apiObject": spec.name,
                    "type": "object",
                    "href": format!("/services/core/model?name={}", spec.name),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_found_by_full_and_short_name() {
        assert_eq!(lookup("vendor").map(|s| s.name), Some(VENDOR));
        assert_eq!(lookup(CUSTOMER).map(|s| s.name), Some(CUSTOMER));
        assert!(lookup_exact("vendor").is_none());
        assert!(lookup("accounts-payable/vendorx").is_none());
    }

    #[test]
    fn dotted_paths_reach_reference_members_only() {
        let employee = lookup(EMPLOYEE).expect("employee is registered");
        assert_eq!(path_kind(employee, "department.key"), Some(Kind::Key));
        assert_eq!(path_kind(employee, "department.id"), Some(Kind::Text));
        assert_eq!(path_kind(employee, "department.name"), None);
        assert_eq!(path_kind(employee, "name.first"), None);
        assert_eq!(
            path_kind(employee, "audit.createdDateTime"),
            Some(Kind::Text)
        );
    }

    #[test]
    fn every_object_has_key_id_name_status_href() {
        for spec in &OBJECTS {
            for name in ["key", "id", "name", "status", "href"] {
                assert!(spec.field(name).is_some(), "{} lacks {name}", spec.name);
            }
        }
    }
}
