//! The static registry of the objects the emulator serves: each object's fields with their
//! types and rules. Payload validation, query typing and the model service
//! (`GET /services/core/model`) all read it, so the three never disagree.

use serde_json::{Map, Value, json};

mod objects;

pub(crate) use objects::*;

/// The type of a field: its JSON type and format on the wire, and how it compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The system key: a string of digits, compared as a number.
    Key,
    Text,
    /// Money and other decimals: a string with two decimals (`"28800.00"`).
    Decimal,
    /// A JSON number (`"creditLimit": 2500`).
    Number,
    /// A JSON integer (`"dueInDays": 30`).
    Integer,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// A download link (`format: outbound-binary`).
    Binary,
    Enum(&'static [&'static str]),
    /// A reference to a record of another object.
    Ref(&'static RefSpec),
    /// The `{key, id, name, href}` entity a record belongs to (null members at top level).
    Entity,
    /// The read-only `audit` group.
    Audit,
    /// The record's own relative `href`.
    Href,
    /// A group of fields nested in the record (`contacts`, `currency`, `dimensions`).
    Group(&'static [Field]),
    /// The owned line records of a transaction, by the line object's name.
    Lines(&'static str),
}

/// What a reference carries: `key`, `id`, `href`, `name` where the real object's reference
/// has it, and any other members the target exposes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RefSpec {
    pub(crate) target: &'static str,
    pub(crate) named: bool,
    pub(crate) extra: &'static [&'static str],
}

impl RefSpec {
    /// The members, in the order a response writes them.
    pub(crate) fn members(&self) -> Vec<&'static str> {
        let mut members = vec!["key", "id"];
        if self.named {
            members.push("name");
        }
        members.extend_from_slice(self.extra);
        members.push("href");
        members
    }
}

pub(crate) const fn to(target: &'static str) -> RefSpec {
    RefSpec {
        target,
        named: false,
        extra: &[],
    }
}

pub(crate) const fn named(target: &'static str) -> RefSpec {
    RefSpec {
        target,
        named: true,
        extra: &[],
    }
}

/// The value a field takes when a create leaves it out (and in seeded records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    Null,
    False,
    /// `"0.00"`.
    Zero,
    Int(i64),
    Text(&'static str),
}

impl Fill {
    pub(crate) fn value(self) -> Value {
        match self {
            Fill::Null => Value::Null,
            Fill::False => Value::Bool(false),
            Fill::Zero => Value::String("0.00".to_owned()),
            Fill::Int(number) => json!(number),
            Fill::Text(text) => Value::String(text.to_owned()),
        }
    }
}

/// One field of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    pub(crate) read_only: bool,
    /// Accepted on writes, never returned and never queryable.
    pub(crate) write_only: bool,
    pub(crate) mutable: bool,
    pub(crate) nullable: bool,
    pub(crate) fill: Fill,
}

impl Field {
    /// Never null.
    pub(crate) const fn not_null(self) -> Field {
        Field {
            nullable: false,
            ..self
        }
    }

    /// What the field holds when nothing else is given.
    pub(crate) const fn or(self, fill: Fill) -> Field {
        Field { fill, ..self }
    }

    /// Must be given on create.
    pub(crate) const fn required(self) -> Field {
        Field {
            required: true,
            nullable: false,
            ..self
        }
    }
}

/// A writable, nullable field.
pub(crate) const fn field(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
        read_only: false,
        write_only: false,
        mutable: true,
        nullable: true,
        fill: match kind {
            Kind::Boolean => Fill::False,
            _ => Fill::Null,
        },
    }
}

/// A read-only field the system fills (nullable, as the real model marks them).
pub(crate) const fn ro(name: &'static str, kind: Kind) -> Field {
    Field {
        read_only: true,
        mutable: false,
        ..field(name, kind)
    }
}

/// A read-only field that is never null (`key`, `href`).
pub(crate) const fn system(name: &'static str, kind: Kind) -> Field {
    ro(name, kind).not_null()
}

pub(crate) const fn required(name: &'static str, kind: Kind) -> Field {
    field(name, kind).required()
}

/// A field only writes take: never stored, never returned, not queryable.
pub(crate) const fn wo(name: &'static str, kind: Kind) -> Field {
    Field {
        write_only: true,
        ..field(name, kind)
    }
}

/// Set on create, never changed by an update (a transaction's `state`).
pub(crate) const fn fixed(name: &'static str, kind: Kind) -> Field {
    Field {
        mutable: false,
        nullable: false,
        ..field(name, kind)
    }
}

/// The rules of a transaction object with owned lines.
#[derive(Debug)]
pub(crate) struct TxnRules {
    /// The line object.
    pub(crate) lines: &'static str,
    /// The `state` values a create may ask for.
    pub(crate) create_states: &'static [&'static str],
    /// The `state` of a create that names none.
    pub(crate) default_state: &'static str,
    /// Debits must equal credits (journal entries).
    pub(crate) balanced: bool,
}

/// An object the emulator serves.
#[derive(Debug)]
pub(crate) struct ObjectSpec {
    /// `application/object`, as in the path and the query service.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
    /// For a line object: the field naming its owner, and the owner object.
    pub(crate) owner: Option<(&'static str, &'static str)>,
    /// For a transaction: its lines and state rules.
    pub(crate) txn: Option<&'static TxnRules>,
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

/// The object named `application/object`, or by its short name alone (`vendor`), which the
/// query service also takes (docs/emulator.md, "Query").
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

const AUDIT_MEMBERS: [&str; 6] = [
    "createdDateTime",
    "modifiedDateTime",
    "createdBy",
    "modifiedBy",
    "createdByUser",
    "modifiedByUser",
];

/// The kind a dotted path compares as (`department.key` a key, `contacts.default.email1`
/// text), or `None` when the path names nothing a query may use: unknown names, write-only
/// fields and owned lines (query the line object instead).
pub(crate) fn path_kind(spec: &ObjectSpec, path: &str) -> Option<Kind> {
    resolve(spec.fields, path)
}

fn resolve(fields: &[Field], path: &str) -> Option<Kind> {
    let (head, rest) = match path.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let field = fields.iter().find(|field| field.name == head)?;
    if field.write_only {
        return None;
    }
    let member_kind = |member: &str| match member {
        "key" | "createdBy" | "modifiedBy" => Kind::Key,
        _ => Kind::Text,
    };
    match (field.kind, rest) {
        (Kind::Lines(_), _) => None,
        (kind, None) => Some(kind),
        (Kind::Group(inner), Some(rest)) => resolve(inner, rest),
        (Kind::Ref(reference), Some(member)) => reference
            .members()
            .contains(&member)
            .then(|| member_kind(member)),
        (Kind::Entity, Some(member)) => ["key", "id", "name", "href"]
            .contains(&member)
            .then(|| member_kind(member)),
        (Kind::Audit, Some(member)) => AUDIT_MEMBERS.contains(&member).then(|| member_kind(member)),
        _ => None,
    }
}

/// The JSON type and format of a kind, as the model service writes them.
pub(crate) fn wire_type(kind: Kind) -> (&'static str, Option<&'static str>) {
    match kind {
        Kind::Boolean => ("boolean", None),
        Kind::Number => ("number", None),
        Kind::Integer => ("integer", None),
        Kind::Decimal => ("string", Some("decimal-precision-2")),
        Kind::Date => ("string", Some("date")),
        Kind::Binary => ("string", Some("outbound-binary")),
        _ => ("string", None),
    }
}

fn describe(field: &Field) -> Value {
    let mut out = Map::new();
    let (ty, format) = wire_type(field.kind);
    out.insert("type".into(), json!(ty));
    if let Some(format) = format {
        out.insert("format".into(), json!(format));
    }
    if let Kind::Enum(values) = field.kind {
        let mut listed: Vec<Value> = values.iter().map(|value| json!(value)).collect();
        if field.nullable {
            listed.insert(0, Value::Null);
        }
        out.insert("enum".into(), Value::Array(listed));
        if let Fill::Text(default) = field.fill {
            out.insert("default".into(), json!(default));
        }
    }
    out.insert("readOnly".into(), json!(field.read_only));
    out.insert("writeOnly".into(), json!(field.write_only));
    // The real model service says `required: false` for every field; what a create needs is
    // in docs/emulator.md.
    out.insert("required".into(), json!(false));
    out.insert("nullable".into(), json!(field.nullable));
    out.insert("mutable".into(), json!(field.mutable));
    Value::Object(out)
}

fn ref_fields(members: &[&'static str]) -> Value {
    let fields: Map<String, Value> = members
        .iter()
        .map(|member| {
            let field = Field {
                mutable: !matches!(*member, "href" | "name"),
                read_only: matches!(*member, "href" | "name"),
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

/// The `fields`, `groups`, `refs` and `lists` of a list of fields.
fn describe_all(spec_fields: &[Field]) -> Map<String, Value> {
    let mut fields = Map::new();
    let mut refs = Map::new();
    let mut groups = Map::new();
    let mut lists = Map::new();
    for field in spec_fields {
        match field.kind {
            Kind::Ref(reference) => {
                refs.insert(
                    field.name.into(),
                    json!({"apiObject": reference.target, "fields": ref_fields(&reference.members())}),
                );
            }
            Kind::Entity => {
                refs.insert(
                    field.name.into(),
                    json!({"apiObject": ENTITY_OBJECT, "fields": ref_fields(&["key", "id", "name", "href"])}),
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
            Kind::Group(inner) => {
                groups.insert(field.name.into(), Value::Object(describe_all(inner)));
            }
            Kind::Lines(object) => {
                lists.insert(field.name.into(), json!({"apiObject": object}));
            }
            _ => {
                fields.insert(field.name.into(), describe(field));
            }
        }
    }
    let mut out = Map::new();
    out.insert("fields".into(), Value::Object(fields));
    if !groups.is_empty() {
        out.insert("groups".into(), Value::Object(groups));
    }
    if !refs.is_empty() {
        out.insert("refs".into(), Value::Object(refs));
    }
    if !lists.is_empty() {
        out.insert("lists".into(), Value::Object(lists));
    }
    out
}

/// The model service's description of an object (docs/emulator.md, "Model"): `fields`,
/// `groups`, `refs`, `lists`, `httpMethods`, `idempotenceSupported`, `apiObject`, `type`.
pub(crate) fn model(spec: &ObjectSpec) -> Value {
    let mut out = describe_all(spec.fields);
    out.entry("groups").or_insert_with(|| json!({}));
    out.entry("refs").or_insert_with(|| json!({}));
    out.entry("lists").or_insert_with(|| json!([]));
    out.insert("httpMethods".into(), json!("OPTIONS,GET,POST,DELETE,PATCH"));
    out.insert("idempotenceSupported".into(), json!(true));
    out.insert("apiObject".into(), json!(format!("objects/{}", spec.name)));
    let kind = if spec.owner.is_some() {
        "ownedObject"
    } else {
        "rootObject"
    };
    out.insert("type".into(), json!(kind));
    out.insert(
        "href".into(),
        json!(format!("/services/core/model?name={}", spec.name)),
    );
    Value::Object(out)
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
        assert_eq!(lookup("bill-line").map(|s| s.name), Some(BILL_LINE));
        assert!(lookup_exact("vendor").is_none());
        assert!(lookup("accounts-payable/vendorx").is_none());
    }

    #[test]
    fn dotted_paths_reach_reference_and_group_members_only() {
        let employee = lookup(EMPLOYEE).expect("employee is registered");
        assert_eq!(path_kind(employee, "department.key"), Some(Kind::Key));
        assert_eq!(path_kind(employee, "department.id"), Some(Kind::Text));
        assert_eq!(path_kind(employee, "department.name"), Some(Kind::Text));
        assert_eq!(path_kind(employee, "manager.name"), None);
        assert_eq!(path_kind(employee, "name.first"), None);
        assert_eq!(
            path_kind(employee, "audit.createdDateTime"),
            Some(Kind::Text)
        );
        let customer = lookup(CUSTOMER).expect("customer");
        assert_eq!(
            path_kind(customer, "contacts.default.email1"),
            Some(Kind::Text)
        );
        assert_eq!(path_kind(customer, "emailAddress"), None);
        let invoice = lookup(INVOICE).expect("invoice");
        assert_eq!(path_kind(invoice, "action"), None, "write-only");
        assert_eq!(path_kind(invoice, "lines"), None);
        assert_eq!(path_kind(invoice, "dueInDays"), Some(Kind::Integer));
    }

    #[test]
    fn every_object_has_key_id_href_and_every_reference_a_served_target() {
        fn check(fields: &[Field], object: &str) {
            for field in fields {
                match field.kind {
                    Kind::Ref(reference) => assert!(
                        lookup_exact(reference.target).is_some(),
                        "{object}.{} points at {}",
                        field.name,
                        reference.target
                    ),
                    Kind::Group(inner) => check(inner, object),
                    Kind::Lines(line) => assert!(lookup_exact(line).is_some()),
                    _ => {}
                }
            }
        }
        for spec in &OBJECTS {
            for name in ["key", "id", "href"] {
                assert!(spec.field(name).is_some(), "{} lacks {name}", spec.name);
            }
            check(spec.fields, spec.name);
        }
    }
}
