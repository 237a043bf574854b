//! The objects the emulator serves, field by field. The vendor, customer, GL account and AR
//! invoice fields follow the real model service's listing (docs/emulator.md, "Field types");
//! the transaction objects and their lines follow Sage's OpenAPI as docs/emulator.md records it.

use super::{
    Field, Fill, Kind, ObjectSpec, RefSpec, TxnRules, field, fixed, named, required, ro, system,
    to, wo,
};

pub(crate) const VENDOR: &str = "accounts-payable/vendor";
pub(crate) const CUSTOMER: &str = "accounts-receivable/customer";
pub(crate) const ACCOUNT: &str = "general-ledger/account";
pub(crate) const DEPARTMENT: &str = "company-config/department";
pub(crate) const LOCATION: &str = "company-config/location";
pub(crate) const EMPLOYEE: &str = "company-config/employee";
pub(crate) const ENTITY_OBJECT: &str = "company-config/entity";
pub(crate) const USER: &str = "company-config/user";
pub(crate) const CONTACT: &str = "company-config/contact";
pub(crate) const CLASS: &str = "company-config/class";
pub(crate) const PROJECT: &str = "projects/project";
pub(crate) const JOURNAL: &str = "general-ledger/journal";
pub(crate) const BILL: &str = "accounts-payable/bill";
pub(crate) const BILL_LINE: &str = "accounts-payable/bill-line";
pub(crate) const INVOICE: &str = "accounts-receivable/invoice";
pub(crate) const INVOICE_LINE: &str = "accounts-receivable/invoice-line";
pub(crate) const JOURNAL_ENTRY: &str = "general-ledger/journal-entry";
pub(crate) const JOURNAL_ENTRY_LINE: &str = "general-ledger/journal-entry-line";

/// `id` is the user-facing identifier: required, and fixed once the record exists.
const ID: Field = Field {
    required: true,
    mutable: false,
    nullable: false,
    ..field("id", Kind::Text)
};
/// The id of a transaction or a line: the key again, given by the system.
const SYSTEM_ID: Field = ro("id", Kind::Text);
const KEY: Field = system("key", Kind::Key);
const HREF: Field = system("href", Kind::Href);
const AUDIT: Field = system("audit", Kind::Audit);
const ENTITY: Field = system("entity", Kind::Entity);
const NAME: Field = required("name", Kind::Text);
const STATUS: Field = field("status", Kind::Enum(&["active", "inactive"]))
    .not_null()
    .or(Fill::Text("active"));
/// Vendors, customers and departments may also be active for everything but posting.
const STATUS3: Field = field(
    "status",
    Kind::Enum(&["active", "activeNonPosting", "inactive"]),
)
.not_null()
.or(Fill::Text("active"));

const ACCOUNT_REF: RefSpec = named(ACCOUNT);
const DEPARTMENT_REF: RefSpec = named(DEPARTMENT);
const LOCATION_REF: RefSpec = named(LOCATION);
const EMPLOYEE_REF: RefSpec = named(EMPLOYEE);
const CLASS_REF: RefSpec = named(CLASS);
const PROJECT_REF: RefSpec = named(PROJECT);
const CUSTOMER_REF: RefSpec = named(CUSTOMER);
const VENDOR_REF: RefSpec = named(VENDOR);
const JOURNAL_REF: RefSpec = named(JOURNAL);
const VENDOR_PARENT: RefSpec = named(VENDOR);
const CUSTOMER_PARENT: RefSpec = named(CUSTOMER);
const EMPLOYEE_MANAGER: RefSpec = to(EMPLOYEE);
const BILL_REF: RefSpec = to(BILL);
const INVOICE_REF: RefSpec = to(INVOICE);
const JOURNAL_ENTRY_REF: RefSpec = to(JOURNAL_ENTRY);
const CONTACT_REF: RefSpec = to(CONTACT);
/// `contacts.default` exposes the contact's own fields (the model flags them deprecated).
const DEFAULT_CONTACT_REF: RefSpec = RefSpec {
    extra: &[
        "printAs",
        "firstName",
        "lastName",
        "email1",
        "email2",
        "phone1",
    ],
    ..to(CONTACT)
};

const CUSTOMER_CONTACTS: &[Field] = &[
    field("default", Kind::Ref(&DEFAULT_CONTACT_REF)),
    field("primary", Kind::Ref(&CONTACT_REF)),
    field("billTo", Kind::Ref(&CONTACT_REF)),
    field("shipTo", Kind::Ref(&CONTACT_REF)),
];
const VENDOR_CONTACTS: &[Field] = &[
    field("default", Kind::Ref(&DEFAULT_CONTACT_REF)),
    field("primary", Kind::Ref(&CONTACT_REF)),
    field("payTo", Kind::Ref(&CONTACT_REF)),
    field("returnTo", Kind::Ref(&CONTACT_REF)),
];
const DIMENSIONS: &[Field] = &[
    field("location", Kind::Ref(&LOCATION_REF)),
    field("department", Kind::Ref(&DEPARTMENT_REF)),
    field("employee", Kind::Ref(&EMPLOYEE_REF)),
    field("project", Kind::Ref(&PROJECT_REF)),
    field("customer", Kind::Ref(&CUSTOMER_REF)),
    field("vendor", Kind::Ref(&VENDOR_REF)),
    field("class", Kind::Ref(&CLASS_REF)),
];
const CURRENCY: &[Field] = &[
    field("baseCurrency", Kind::Text),
    field("txnCurrency", Kind::Text),
];
const MAILING_ADDRESS: &[Field] = &[
    field("addressLine1", Kind::Text),
    field("addressLine2", Kind::Text),
    field("city", Kind::Text),
    field("state", Kind::Text),
    field("postCode", Kind::Text),
    field("country", Kind::Text),
];
const DOCUMENT_TOTALS: [Field; 4] = [
    ro("totalBaseAmount", Kind::Decimal),
    ro("totalBaseAmountDue", Kind::Decimal),
    ro("totalTxnAmount", Kind::Decimal),
    ro("totalTxnAmountDue", Kind::Decimal),
];

static BILL_RULES: TxnRules = TxnRules {
    lines: BILL_LINE,
    create_states: &["draft", "posted"],
    default_state: "posted",
    balanced: false,
};
static INVOICE_RULES: TxnRules = TxnRules {
    lines: INVOICE_LINE,
    create_states: &["draft"],
    default_state: "posted",
    balanced: false,
};
static JOURNAL_ENTRY_RULES: TxnRules = TxnRules {
    lines: JOURNAL_ENTRY_LINE,
    create_states: &["draft", "posted"],
    default_state: "posted",
    balanced: true,
};

const fn object(name: &'static str, fields: &'static [Field]) -> ObjectSpec {
    ObjectSpec {
        name,
        fields,
        owner: None,
        txn: None,
    }
}

/// Every object, in the order the model catalogue lists them.
pub(crate) static OBJECTS: [ObjectSpec; 18] = [
    object(
        VENDOR,
        &[
            field("alwaysCreateBill", Kind::Boolean),
            field("billingType", Kind::Enum(&["openItem", "balanceForward"])),
            field("creditLimit", Kind::Number),
            field("currency", Kind::Text),
            field("defaultLeadTime", Kind::Integer),
            field("discountPercent", Kind::Number),
            field("displayTermDiscountOnCheckStub", Kind::Boolean),
            field("displayVendorAccountOnCheckStub", Kind::Boolean),
            field("doNotPay", Kind::Boolean),
            field(
                "filePaymentService",
                Kind::Enum(&["ach", "bankFile", "none"]),
            )
            .not_null()
            .or(Fill::Text("none")),
            HREF,
            ID,
            field("isIndividualPerson", Kind::Boolean),
            field("isOnHold", Kind::Boolean),
            field("isOneTimeUse", Kind::Boolean),
            KEY,
            ro("lastBillCreatedDate", Kind::Date),
            ro("lastPaymentMadeDate", Kind::Date),
            field("mergePaymentRequests", Kind::Boolean),
            NAME,
            field("notes", Kind::Text),
            field(
                "paymentPriority",
                Kind::Enum(&["urgent", "high", "normal", "low"]),
            ),
            field(
                "preferredPaymentMethod",
                Kind::Enum(&[
                    "printedCheck",
                    "chargeCard",
                    "EFT",
                    "cash",
                    "ACH",
                    "wellsFargoCheck",
                    "wellsFargoUSDWire",
                    "wellsFargoDomesticACH",
                ]),
            ),
            field("retainagePercentage", Kind::Number),
            field("sendPaymentNotification", Kind::Boolean),
            field("state", Kind::Enum(&["s", "a", "r"]))
                .not_null()
                .or(Fill::Text("a")),
            STATUS3,
            field("taxId", Kind::Text),
            ro("totalDue", Kind::Decimal).or(Fill::Zero),
            field("vendorAccountNumber", Kind::Text),
            field(
                "vendorRestriction",
                Kind::Enum(&["unrestricted", "rootOnly", "restricted"]),
            )
            .not_null()
            .or(Fill::Text("unrestricted")),
            field("parent", Kind::Ref(&VENDOR_PARENT)),
            field("defaultExpenseGLAccount", Kind::Ref(&ACCOUNT_REF)),
            field("contacts", Kind::Group(VENDOR_CONTACTS)),
            ENTITY,
            AUDIT,
        ],
    ),
    object(
        CUSTOMER,
        &[
            ro("activationDate", Kind::Date),
            field("advanceBillBy", Kind::Text),
            field("advanceBillByType", Kind::Enum(&["days", "months"]))
                .not_null()
                .or(Fill::Text("days")),
            field("creditLimit", Kind::Number),
            field("currency", Kind::Text),
            field("customerResaleNumber", Kind::Text),
            field(
                "customerRestriction",
                Kind::Enum(&["unrestricted", "rootOnly", "restricted"]),
            )
            .not_null()
            .or(Fill::Text("unrestricted")),
            field("deliveryOptions", Kind::Enum(&["print", "email", "both"]))
                .not_null()
                .or(Fill::Text("print")),
            field("discountPercent", Kind::Text),
            field("electronicAddress", Kind::Text),
            field("emailOptIn", Kind::Boolean),
            field("enableOnlineACHPayment", Kind::Boolean),
            field("enableOnlineCardPayment", Kind::Boolean),
            HREF,
            ID,
            field("isOnHold", Kind::Boolean),
            field("isOneTimeUse", Kind::Boolean),
            KEY,
            ro("lastInvoiceCreatedDate", Kind::Date),
            ro("lastStatementGeneratedDate", Kind::Date),
            NAME,
            field("notes", Kind::Text),
            field(
                "overridePriceList",
                Kind::Enum(&["customer", "billingContact", "shippingContact"]),
            )
            .not_null()
            .or(Fill::Text("customer")),
            field("resaleNumber", Kind::Number),
            field("retainagePercentage", Kind::Number),
            STATUS3,
            ro("subscriptionEndDate", Kind::Date),
            field("taxId", Kind::Text),
            ro("totalDue", Kind::Decimal).or(Fill::Zero),
            field("parent", Kind::Ref(&CUSTOMER_PARENT)),
            field("defaultRevenueGLAccount", Kind::Ref(&ACCOUNT_REF)),
            field("contacts", Kind::Group(CUSTOMER_CONTACTS)),
            ENTITY,
            AUDIT,
        ],
    ),
    object(
        ACCOUNT,
        &[
            field(
                "accountType",
                Kind::Enum(&["balanceSheet", "incomeStatement"]),
            )
            .not_null()
            .or(Fill::Text("balanceSheet")),
            field(
                "alternativeGLAccount",
                Kind::Enum(&["none", "payablesAccount", "receivablesAccount"]),
            )
            .not_null()
            .or(Fill::Text("none")),
            field("category", Kind::Text),
            field(
                "closingType",
                Kind::Enum(&["nonClosingAccount", "closingAccount", "closedToAccount"]),
            )
            .not_null()
            .or(Fill::Text("nonClosingAccount")),
            field("disallowDirectPosting", Kind::Boolean),
            HREF,
            ID,
            field("isTaxable", Kind::Boolean),
            KEY,
            field("mrcCode", Kind::Text),
            NAME,
            field("normalBalance", Kind::Enum(&["debit", "credit"]))
                .not_null()
                .or(Fill::Text("debit")),
            STATUS,
            field("taxCode", Kind::Text),
            ENTITY,
            AUDIT,
        ],
    ),
    object(
        DEPARTMENT,
        &[
            KEY,
            ID,
            NAME,
            STATUS3,
            field("parent", Kind::Ref(&DEPARTMENT_REF)),
            field("reportTitle", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(
        LOCATION,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("parent", Kind::Ref(&LOCATION_REF)),
            field("startDate", Kind::Date),
            field("currency", Kind::Text),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(
        EMPLOYEE,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("jobTitle", Kind::Text),
            field("startDate", Kind::Date),
            field("department", Kind::Ref(&DEPARTMENT_REF)),
            field("location", Kind::Ref(&LOCATION_REF)),
            field("manager", Kind::Ref(&EMPLOYEE_MANAGER)),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(
        ENTITY_OBJECT,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("currency", Kind::Text),
            AUDIT,
            HREF,
        ],
    ),
    object(
        USER,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("userType", Kind::Enum(&["business", "webServices"]))
                .not_null()
                .or(Fill::Text("business")),
            HREF,
        ],
    ),
    object(
        CONTACT,
        &[
            KEY,
            ID,
            field("printAs", Kind::Text),
            field("companyName", Kind::Text),
            field("firstName", Kind::Text),
            field("lastName", Kind::Text),
            field("email1", Kind::Text),
            field("email2", Kind::Text),
            field("phone1", Kind::Text),
            STATUS,
            field("mailingAddress", Kind::Group(MAILING_ADDRESS)),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(
        CLASS,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("description", Kind::Text),
            field("parent", Kind::Ref(&CLASS_REF)),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(
        PROJECT,
        &[
            KEY,
            ID,
            NAME,
            STATUS,
            field("description", Kind::Text),
            field("startDate", Kind::Date),
            field("endDate", Kind::Date),
            field("customer", Kind::Ref(&CUSTOMER_REF)),
            field("department", Kind::Ref(&DEPARTMENT_REF)),
            field("location", Kind::Ref(&LOCATION_REF)),
            ENTITY,
            AUDIT,
            HREF,
        ],
    ),
    object(JOURNAL, &[KEY, ID, NAME, STATUS, ENTITY, AUDIT, HREF]),
    ObjectSpec {
        txn: Some(&BILL_RULES),
        ..object(
            BILL,
            &[
                KEY,
                SYSTEM_ID,
                field("billNumber", Kind::Text),
                field("vendor", Kind::Ref(&VENDOR_REF)).required(),
                required("createdDate", Kind::Date),
                required("dueDate", Kind::Date),
                ro("dueInDays", Kind::Text),
                fixed(
                    "state",
                    Kind::Enum(&[
                        "draft",
                        "submitted",
                        "analyzing",
                        "partiallyApproved",
                        "declined",
                        "posted",
                        "paid",
                        "partiallyPaid",
                        "selected",
                        "reversed",
                        "reversal",
                        "noValue",
                    ]),
                ),
                ro("recordType", Kind::Text).or(Fill::Text("pi")),
                field("description", Kind::Text),
                field("referenceNumber", Kind::Text),
                DOCUMENT_TOTALS[0],
                DOCUMENT_TOTALS[1],
                DOCUMENT_TOTALS[2],
                DOCUMENT_TOTALS[3],
                field("currency", Kind::Group(CURRENCY)),
                field("lines", Kind::Lines(BILL_LINE)).required(),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
    ObjectSpec {
        owner: Some(("bill", BILL)),
        ..object(
            BILL_LINE,
            &[
                KEY,
                SYSTEM_ID,
                field("bill", Kind::Ref(&BILL_REF)),
                ro("lineNumber", Kind::Text),
                field("glAccount", Kind::Ref(&ACCOUNT_REF)).required(),
                required("txnAmount", Kind::Decimal),
                field("totalTxnAmount", Kind::Decimal),
                ro("baseAmount", Kind::Decimal),
                field("memo", Kind::Text),
                field("dimensions", Kind::Group(DIMENSIONS)),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
    ObjectSpec {
        txn: Some(&INVOICE_RULES),
        ..object(
            INVOICE,
            &[
                wo("action", Kind::Enum(&["submit", "draft"])),
                wo("createAPBill", Kind::Boolean),
                field("description", Kind::Text),
                ro("discountCutOffDate", Kind::Date),
                field("documentId", Kind::Text),
                ro("downloadURL", Kind::Binary),
                required("dueDate", Kind::Date),
                ro("dueInDays", Kind::Integer),
                ro("dunningCount", Kind::Integer).or(Fill::Int(0)),
                ro(
                    "eInvoiceStatus",
                    Kind::Enum(&[
                        "submitted",
                        "madeAvailable",
                        "inHand",
                        "refused",
                        "paymentSent",
                        "paymentReceived",
                        "disputed",
                        "issuedByThePlatform",
                        "receivedByThePlatform",
                        "rejectedByThePlatform",
                    ]),
                ),
                SYSTEM_ID,
                required("invoiceDate", Kind::Date),
                field(
                    "invoiceMode",
                    Kind::Enum(&[
                        "b1", "s1", "m1", "b2", "s2", "m2", "s3", "b4", "s4", "m4", "s5", "s6",
                        "b7", "s7",
                    ]),
                ),
                field("invoiceNumber", Kind::Text),
                field(
                    "invoiceType",
                    Kind::Enum(&["invoice", "eInvoice", "eReporting"]),
                ),
                ro("isSystemGeneratedDocument", Kind::Boolean).or(Fill::False),
                KEY,
                ro(
                    "moduleKey",
                    Kind::Enum(&["accountsReceivable", "orderEntry"]),
                )
                .not_null()
                .or(Fill::Text("accountsReceivable")),
                ro("recordType", Kind::Text).or(Fill::Text("ri")),
                field("referenceNumber", Kind::Text),
                fixed(
                    "state",
                    Kind::Enum(&[
                        "reversed",
                        "reversal",
                        "draft",
                        "noValue",
                        "posted",
                        "paid",
                        "partiallyPaid",
                        "selected",
                    ]),
                ),
                DOCUMENT_TOTALS[0],
                DOCUMENT_TOTALS[1],
                DOCUMENT_TOTALS[2],
                DOCUMENT_TOTALS[3],
                ro("webURL", Kind::Text),
                field("customer", Kind::Ref(&CUSTOMER_REF)).required(),
                field("currency", Kind::Group(CURRENCY)),
                field("lines", Kind::Lines(INVOICE_LINE)).required(),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
    ObjectSpec {
        owner: Some(("invoice", INVOICE)),
        ..object(
            INVOICE_LINE,
            &[
                KEY,
                SYSTEM_ID,
                field("invoice", Kind::Ref(&INVOICE_REF)),
                ro("lineNumber", Kind::Integer),
                field("glAccount", Kind::Ref(&ACCOUNT_REF)).required(),
                required("txnAmount", Kind::Decimal),
                ro("baseAmount", Kind::Decimal),
                field("memo", Kind::Text),
                field("dimensions", Kind::Group(DIMENSIONS)),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
    ObjectSpec {
        txn: Some(&JOURNAL_ENTRY_RULES),
        ..object(
            JOURNAL_ENTRY,
            &[
                KEY,
                SYSTEM_ID,
                ro("txnNumber", Kind::Integer),
                field("glJournal", Kind::Ref(&JOURNAL_REF)).required(),
                required("postingDate", Kind::Date),
                field("description", Kind::Text),
                field("referenceNumber", Kind::Text),
                field("automaticReversalDate", Kind::Date),
                fixed(
                    "state",
                    Kind::Enum(&[
                        "draft",
                        "submitted",
                        "partiallyApproved",
                        "approved",
                        "posted",
                        "declined",
                        "reversalPending",
                        "reversed",
                    ]),
                ),
                field("lines", Kind::Lines(JOURNAL_ENTRY_LINE)).required(),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
    ObjectSpec {
        owner: Some(("journalEntry", JOURNAL_ENTRY)),
        ..object(
            JOURNAL_ENTRY_LINE,
            &[
                KEY,
                SYSTEM_ID,
                field("journalEntry", Kind::Ref(&JOURNAL_ENTRY_REF)),
                ro("lineNumber", Kind::Integer),
                field("txnType", Kind::Enum(&["debit", "credit"]))
                    .not_null()
                    .or(Fill::Text("debit")),
                required("txnAmount", Kind::Decimal),
                ro("baseAmount", Kind::Decimal),
                field("glAccount", Kind::Ref(&ACCOUNT_REF)).required(),
                field("description", Kind::Text),
                field("dimensions", Kind::Group(DIMENSIONS)),
                ENTITY,
                AUDIT,
                HREF,
            ],
        )
    },
];
