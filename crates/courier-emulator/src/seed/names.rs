//! The names the generated company draws from.

pub(super) const COMPANIES: [&str; 16] = [
    "Northwind Traders",
    "Acme Supplies",
    "Globex Logistics",
    "Initech Office Products",
    "Umbrella Packaging",
    "Stark Components",
    "Wayne Freight",
    "Hooli Cloud Services",
    "Vandelay Industries",
    "Soylent Foods",
    "Tyrell Fabrication",
    "Cyberdyne Electronics",
    "Wonka Confectionery",
    "Gringotts Banking",
    "Oceanic Airlines",
    "Pied Piper Storage",
];

pub(super) const CUSTOMERS: [&str; 14] = [
    "Blue Harbor Retail",
    "Summit Outdoor Co",
    "Maple Leaf Clinics",
    "Redwood Architects",
    "Silver Lake Hotels",
    "Granite State Schools",
    "Copperline Breweries",
    "Harborview Dental",
    "Evergreen Landscaping",
    "Lighthouse Media",
    "Pinecrest Realty",
    "Riverside Bakery",
    "Golden Gate Fitness",
    "Northstar Consulting",
];

pub(super) const FIRST_NAMES: [&str; 16] = [
    "Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Lena", "Omar", "Priya", "Lucas", "Chloe",
    "Mateo", "Hana", "Felix", "Iris", "Tomas",
];

pub(super) const LAST_NAMES: [&str; 16] = [
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Tanaka",
    "Garcia",
    "Kowalski",
    "Haddad",
    "Silva",
    "Murphy",
    "Larsen",
    "Dubois",
    "Novak",
    "Patel",
    "Moreau",
    "Lindqvist",
];

pub(super) const JOB_TITLES: [&str; 8] = [
    "Staff Accountant",
    "AP Specialist",
    "Controller",
    "Sales Manager",
    "Software Engineer",
    "Operations Analyst",
    "Marketing Lead",
    "Support Engineer",
];

pub(super) const DEPARTMENTS: [&str; 6] = [
    "Finance",
    "Sales",
    "Engineering",
    "Operations",
    "Marketing",
    "Customer Success",
];

/// (number, name, balance sheet?, normal balance debit?)
pub(super) const ACCOUNTS: [(&str, &str, bool, bool); 30] = [
    ("1000", "Cash - Operating", true, true),
    ("1010", "Cash - Payroll", true, true),
    ("1100", "Accounts Receivable", true, true),
    ("1150", "Allowance for Doubtful Accounts", true, false),
    ("1200", "Inventory", true, true),
    ("1300", "Prepaid Expenses", true, true),
    ("1500", "Furniture and Equipment", true, true),
    ("1550", "Accumulated Depreciation", true, false),
    ("2000", "Accounts Payable", true, false),
    ("2100", "Accrued Liabilities", true, false),
    ("2200", "Sales Tax Payable", true, false),
    ("2300", "Payroll Liabilities", true, false),
    ("2500", "Deferred Revenue", true, false),
    ("2700", "Long-term Debt", true, false),
    ("3000", "Common Stock", true, false),
    ("3100", "Retained Earnings", true, false),
    ("4000", "Product Revenue", false, false),
    ("4100", "Service Revenue", false, false),
    ("4200", "Subscription Revenue", false, false),
    ("4900", "Discounts Given", false, true),
    ("5000", "Cost of Goods Sold", false, true),
    ("5100", "Freight In", false, true),
    ("6000", "Salaries and Wages", false, true),
    ("6100", "Payroll Taxes", false, true),
    ("6200", "Rent", false, true),
    ("6300", "Utilities", false, true),
    ("6400", "Travel", false, true),
    ("6500", "Software Subscriptions", false, true),
    ("6600", "Professional Fees", false, true),
    ("6700", "Depreciation Expense", false, true),
];

/// (id, name, entity id)
pub(super) const LOCATIONS: [(&str, &str, &str); 4] = [
    ("NYC", "New York", "US"),
    ("SFO", "San Francisco", "US"),
    ("LON", "London", "UK"),
    ("MAN", "Manchester", "UK"),
];

/// (key, id, name, currency)
pub(super) const ENTITIES: [(&str, &str, &str, &str); 2] = [
    ("1", "US", "Courier US", "USD"),
    ("2", "UK", "Courier UK", "GBP"),
];
