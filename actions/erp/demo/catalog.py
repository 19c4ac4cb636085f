"""What the two demo companies look like: places, names, products, people.

Pure data. Amounts are in major units of the company's currency here; the
simulation turns them into integer minor units.
"""

from __future__ import annotations

from dataclasses import dataclass

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    city: str
    weight: float  # share of the company's sales shipped from here


@dataclass(frozen=True)
class BankSpec:
    gl_code: str
    gl_name: str
    name: str
    bank_name: str
    masked: str


@dataclass(frozen=True)
class CitySpec:
    name: str
    warehouse: str  # code of the warehouse that usually serves it
    weight: float
    phone_prefix: str


@dataclass(frozen=True)
class ProductFamily:
    category: str
    name: str
    unit: str
    # list price in major units: one per variant, or one for the first variant
    # (later variants then cost a little more each)
    price: float | tuple[float, ...]
    variants: tuple[str, ...] = ("",)

    def name_of(self, index: int) -> str:
        """ "Nitrile Gloves, box of 100" + "Large" -> "Nitrile Gloves Large, box of 100"."""
        variant = self.variants[index]
        head, comma, tail = self.name.partition(", ")
        return f"{head} {variant}{comma}{tail}".strip() if variant else self.name

    def price_of(self, index: int) -> float:
        if isinstance(self.price, tuple):
            return self.price[index]
        return self.price * (1 + 0.06 * index)  # callers round to the currency


@dataclass(frozen=True)
class UserSpec:
    suffix: str  # username is "<company code>.<suffix>"
    full_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class CompanyProfile:
    code: str
    name: str
    currency: str
    country: str
    city: str
    founded_year: int
    email_domain: str
    warehouses: tuple[WarehouseSpec, ...]
    banks: tuple[BankSpec, BankSpec]
    tax_account_name: str
    sales_tax_pct: str  # one rate for every taxable product, as a decimal string
    purchase_tax_bp: int  # input VAT on purchases in basis points (0: none)
    weekday_factor: tuple[float, ...]  # Monday..Sunday order intensity
    weekend: tuple[int, ...]  # days without deliveries, banking or approvals
    orders_per_day: float  # on a full working day at scale 1, at the start
    growth: float  # relative growth of order volume over the 14 months
    customers: int
    products: int
    suppliers: int
    line_value: float  # typical sales order line value, major units
    approval_threshold: int  # POs at or above go to the finance manager
    credit_grant_limit: int  # the largest credit limit a sales officer may give
    opening_stock_value_months: float
    cities: tuple[CitySpec, ...]
    customer_anchor_names: tuple[str, ...]
    customer_first_words: tuple[str, ...]
    customer_second_words: tuple[str, ...]
    customer_suffixes: tuple[str, ...]
    customer_terms: tuple[tuple[int, float], ...]  # (days, weight)
    product_families: tuple[ProductFamily, ...]
    internal_products: tuple[ProductFamily, ...]  # stocked, never sold
    supplier_names: dict[str, tuple[str, ...]]  # category -> names
    supplier_cities: dict[str, tuple[str, bool]]  # name -> (city, imported from abroad)
    supplier_terms: tuple[tuple[int, float], ...]
    lead_days: tuple[int, int]
    payment_run_weekday: int
    reorder_weekdays: tuple[int, ...]
    users: tuple[UserSpec, ...]
    street_names: tuple[str, ...]
    cash_tight: bool


PADMA = CompanyProfile(
    code="padma",
    name="Padma Trading Ltd",
    currency="BDT",
    country="BD",
    city="Dhaka",
    founded_year=2009,
    email_domain="padmatrading.example",
    warehouses=(
        WarehouseSpec("DHK", "Dhaka Central", "Dhaka", 0.5),
        WarehouseSpec("CTG", "Chattogram Port", "Chattogram", 0.3),
        WarehouseSpec("GZP", "Gazipur", "Gazipur", 0.2),
    ),
    banks=(
        BankSpec(
            "1010",
            "Bank - Dutch-Bangla Bank operating",
            "Operating account",
            "Dutch-Bangla Bank",
            "****4821",
        ),
        BankSpec(
            "1020",
            "Bank - BRAC Bank collections and payroll",
            "Payroll account",
            "BRAC Bank",
            "****7305",
        ),
    ),
    tax_account_name="VAT payable",
    sales_tax_pct="15.00",
    purchase_tax_bp=1500,
    # Bangladesh: the weekend is Friday and Saturday.
    weekday_factor=(1.0, 1.0, 1.0, 1.05, 0.12, 0.45, 1.1),
    weekend=(FRI, SAT),
    orders_per_day=9.0,
    growth=0.16,
    customers=130,
    products=70,
    suppliers=28,
    line_value=42_000,
    approval_threshold=500_000,
    credit_grant_limit=1_000_000,
    opening_stock_value_months=0.9,
    cities=(
        CitySpec("Dhaka", "DHK", 0.34, "+880 171"),
        CitySpec("Narayanganj", "DHK", 0.10, "+880 181"),
        CitySpec("Savar", "GZP", 0.06, "+880 191"),
        CitySpec("Gazipur", "GZP", 0.10, "+880 171"),
        CitySpec("Tongi", "GZP", 0.04, "+880 161"),
        CitySpec("Narsingdi", "DHK", 0.04, "+880 131"),
        CitySpec("Chattogram", "CTG", 0.16, "+880 181"),
        CitySpec("Cumilla", "CTG", 0.04, "+880 191"),
        CitySpec("Feni", "CTG", 0.02, "+880 151"),
        CitySpec("Cox's Bazar", "CTG", 0.02, "+880 171"),
        CitySpec("Sylhet", "DHK", 0.03, "+880 171"),
        CitySpec("Mymensingh", "GZP", 0.02, "+880 191"),
        CitySpec("Rajshahi", "DHK", 0.02, "+880 171"),
        CitySpec("Khulna", "DHK", 0.02, "+880 181"),
    ),
    customer_anchor_names=(
        "Rahman Traders",
        "Rahman Garments",
        "Meghna Textiles Ltd",
        "Meghna Knitwear Ltd",
        "Karim Enterprise",
        "Chowdhury & Sons",
    ),
    customer_first_words=(
        "Rahman",
        "Karim",
        "Hossain",
        "Chowdhury",
        "Islam",
        "Ahmed",
        "Uddin",
        "Mollah",
        "Sikder",
        "Talukder",
        "Meghna",
        "Jamuna",
        "Karnaphuli",
        "Surma",
        "Teesta",
        "Buriganga",
        "Sonar Bangla",
        "Rupali",
        "Shapla",
        "Doel",
        "Bismillah",
        "Al-Madina",
        "Al-Amin",
        "Nur",
        "Bhai Bhai",
        "Desh",
        "Golden",
        "Green Delta",
        "Royal",
        "Star",
        "Crescent",
        "Bengal",
        "Sylhet",
        "Moon",
        "Sunrise",
        "Hasan",
        "Siddique",
        "Biswas",
    ),
    customer_second_words=(
        "Traders",
        "Garments",
        "Textiles",
        "Enterprise",
        "Trading Corporation",
        "Fabrics",
        "Knitwear",
        "Apparels",
        "General Store",
        "Agro Industries",
        "Electric House",
        "Hardware",
        "Food Products",
        "Distributors",
        "Brothers",
        "Packaging",
        "Dyeing Mills",
        "Spinning Mills",
        "Fashion",
        "Electronics",
        "Store",
    ),
    customer_suffixes=("Ltd", "Ltd", ""),
    customer_terms=((15, 0.15), (30, 0.45), (45, 0.25), (60, 0.15)),
    product_families=(
        ProductFamily("Fabrics", "Denim Fabric", "m", 310, ("10 oz", "12 oz", "14 oz")),
        ProductFamily("Fabrics", "Cotton Twill Fabric", "m", 240, ("58 in", "60 in")),
        ProductFamily("Fabrics", "Poplin Fabric", "m", 185, ("White", "Sky Blue", "Black")),
        ProductFamily(
            "Fabrics", "Jersey Knit Fabric", "kg", 620, ("160 gsm", "180 gsm", "200 gsm")
        ),
        ProductFamily("Yarn", "Cotton Yarn", "kg", 390, ("20s", "30s", "40s")),
        ProductFamily("Yarn", "Polyester Yarn", "kg", 330, ("75D", "150D", "300D")),
        ProductFamily(
            "Garment Accessories", "Nylon Zipper #5", "pcs", 14, ("18 cm", "25 cm", "35 cm")
        ),
        ProductFamily(
            "Garment Accessories", "Metal Zipper #8", "pcs", 38, ("Antique Brass", "Nickel")
        ),
        ProductFamily(
            "Garment Accessories",
            "Polyester Sewing Thread 5000 m",
            "cone",
            165,
            ("Tex 27", "Tex 40"),
        ),
        ProductFamily(
            "Garment Accessories", "Plastic Buttons 18L", "gross", 290, ("White", "Black")
        ),
        ProductFamily("Garment Accessories", "Woven Labels (1000 pcs)", "box", 2400),
        ProductFamily("Garment Accessories", "Elastic Tape 1 in (50 m roll)", "roll", 560),
        ProductFamily("Rice & Grains", "Miniket Rice 50 kg", "bag", 3650),
        ProductFamily("Rice & Grains", "Nazirshail Rice 50 kg", "bag", 4250),
        ProductFamily("Rice & Grains", "Red Lentils (Masoor) 50 kg", "bag", 5600),
        ProductFamily("Rice & Grains", "Atta Flour 50 kg", "bag", 2650),
        ProductFamily("Rice & Grains", "Refined Sugar 50 kg", "bag", 6400),
        ProductFamily(
            "Edible Oil", "Soybean Oil", "bottle", (185, 360, 860), ("1 L", "2 L", "5 L")
        ),
        ProductFamily("Edible Oil", "Palm Oil 16 L", "tin", 2380),
        ProductFamily("Edible Oil", "Mustard Oil 5 L", "bottle", 1260),
        ProductFamily(
            "Electrical",
            "PVC Cable, 100 m coil",
            "coil",
            (2950, 4600, 7200),
            ("1.5 rm", "2.5 rm", "4 rm"),
        ),
        ProductFamily("Electrical", "LED Bulb", "pcs", (195, 260), ("12 W", "18 W")),
        ProductFamily("Electrical", "LED Tube Light 20 W", "pcs", 430),
        ProductFamily("Electrical", "Ceiling Fan", "pcs", (4300, 4850), ("48 in", "56 in")),
        ProductFamily("Electrical", "Circuit Breaker", "pcs", (540, 660), ("16 A", "32 A")),
        ProductFamily(
            "Packaging",
            "Corrugated Carton 5-ply",
            "pcs",
            (38, 52, 68),
            ("Small", "Medium", "Large"),
        ),
        ProductFamily("Packaging", "Poly Bag 12x16 in (1000 pcs)", "pack", 1950),
        ProductFamily("Packaging", "Packing Tape 2 in", "roll", 95, ("Clear", "Brown")),
        ProductFamily("Packaging", "Stretch Film 20 in", "roll", 1680),
        ProductFamily("Packaging", "Jute Sack 50 kg", "pcs", 112),
        ProductFamily("Hardware", "Portland Cement 50 kg", "bag", 565),
        ProductFamily("Hardware", "Wire Nails", "kg", 140, ("2 in", "3 in", "4 in")),
        ProductFamily("Hardware", "GI Sheet 0.36 mm", "sheet", 1060),
        ProductFamily(
            "Dyes & Chemicals", "Reactive Dye, 25 kg drum", "drum", 18500, ("Red", "Navy", "Black")
        ),
        ProductFamily("Dyes & Chemicals", "Caustic Soda 25 kg", "bag", 1920),
        ProductFamily("Dyes & Chemicals", "Hydrogen Peroxide 50% 30 kg", "can", 3350),
        ProductFamily("Machinery", "Sewing Machine Needles DBx1 (100)", "pack", 660),
        ProductFamily(
            "Machinery",
            "Industrial Sewing Machine",
            "pcs",
            (38500, 56000),
            ("Single Needle", "Double Needle"),
        ),
        ProductFamily("Machinery", "Overlock Machine 4-thread", "pcs", 52000),
    ),
    internal_products=(
        ProductFamily("Internal", "Fabric Sample Swatch Book", "pcs", 950),
        ProductFamily("Internal", "Returnable Wooden Pallet", "pcs", 1400),
        ProductFamily("Internal", "Showroom Display Rack", "pcs", 12500),
    ),
    supplier_names={
        "Fabrics": (
            "Karnaphuli Textile Mills Ltd",
            "Narsingdi Weaving Co.",
            "Shaoxing Everbright Fabrics Co.",
        ),
        "Yarn": ("Sirajganj Spinning Mills Ltd", "Pabna Yarn Traders", "Coimbatore Cotton Exports"),
        "Garment Accessories": (
            "Guangzhou Topzip Accessories Co.",
            "Ashulia Label & Trims",
            "Dhaka Trims Ltd",
        ),
        "Rice & Grains": (
            "Bogura Auto Rice Mills",
            "Dinajpur Agro Processing",
            "Naogaon Grain Traders",
        ),
        "Edible Oil": (
            "Khulna Edible Oil Refinery Ltd",
            "Chattogram Vegetable Oils Ltd",
            "Feni Oil Traders",
        ),
        "Electrical": (
            "Savar Cable Industries Ltd",
            "Ningbo Brightstar Lighting Co.",
            "Tongi Electric Works",
        ),
        "Packaging": ("Tongi Packaging Ltd", "Jashore Jute Industries", "Gazipur Carton Factory"),
        "Hardware": (
            "Chattogram Steel & Wire Ltd",
            "Narayanganj Hardware Suppliers",
            "Sylhet Cement Distributors",
        ),
        "Dyes & Chemicals": (
            "Narayanganj Dyes & Chemicals",
            "Jiangsu Colour Chemicals Co.",
            "Bengal Chemical Traders",
        ),
        "Machinery": (
            "Dhaka Sewing Machine House",
            "Taizhou Sewing Equipment Co.",
            "Motijheel Machinery Ltd",
        ),
        "Internal": ("Mirpur Shopfitters",),
    },
    supplier_cities={
        "Karnaphuli Textile Mills Ltd": ("Chattogram", False),
        "Narsingdi Weaving Co.": ("Narsingdi", False),
        "Shaoxing Everbright Fabrics Co.": ("Shaoxing, China", True),
        "Sirajganj Spinning Mills Ltd": ("Sirajganj", False),
        "Pabna Yarn Traders": ("Pabna", False),
        "Coimbatore Cotton Exports": ("Coimbatore, India", True),
        "Guangzhou Topzip Accessories Co.": ("Guangzhou, China", True),
        "Ashulia Label & Trims": ("Savar", False),
        "Dhaka Trims Ltd": ("Dhaka", False),
        "Bogura Auto Rice Mills": ("Bogura", False),
        "Dinajpur Agro Processing": ("Dinajpur", False),
        "Naogaon Grain Traders": ("Naogaon", False),
        "Khulna Edible Oil Refinery Ltd": ("Khulna", False),
        "Chattogram Vegetable Oils Ltd": ("Chattogram", False),
        "Feni Oil Traders": ("Feni", False),
        "Savar Cable Industries Ltd": ("Savar", False),
        "Ningbo Brightstar Lighting Co.": ("Ningbo, China", True),
        "Tongi Electric Works": ("Tongi", False),
        "Tongi Packaging Ltd": ("Tongi", False),
        "Jashore Jute Industries": ("Jashore", False),
        "Gazipur Carton Factory": ("Gazipur", False),
        "Chattogram Steel & Wire Ltd": ("Chattogram", False),
        "Narayanganj Hardware Suppliers": ("Narayanganj", False),
        "Sylhet Cement Distributors": ("Sylhet", False),
        "Narayanganj Dyes & Chemicals": ("Narayanganj", False),
        "Jiangsu Colour Chemicals Co.": ("Nanjing, China", True),
        "Bengal Chemical Traders": ("Dhaka", False),
        "Dhaka Sewing Machine House": ("Dhaka", False),
        "Taizhou Sewing Equipment Co.": ("Taizhou, China", True),
        "Motijheel Machinery Ltd": ("Dhaka", False),
        "Mirpur Shopfitters": ("Dhaka", False),
    },
    supplier_terms=((15, 0.1), (30, 0.45), (45, 0.25), (60, 0.2)),
    lead_days=(6, 21),
    payment_run_weekday=WED,
    reorder_weekdays=(SUN, WED),
    users=(
        UserSpec("finance", "Nasrin Akter", ("finance_manager",)),
        UserSpec("sales", "Tanvir Hasan", ("sales_officer",)),
        UserSpec("sales2", "Sadia Islam", ("sales_officer",)),
        UserSpec("warehouse", "Rafiqul Islam", ("warehouse_clerk",)),
        UserSpec("approver", "Kamal Uddin", ("purchasing_approver",)),
        UserSpec("admin", "Farhana Chowdhury", ("administrator",)),
        UserSpec("trainer", "Imran Hossain", ("trainer",)),
    ),
    street_names=(
        "Road 11, Banani",
        "Kemal Ataturk Avenue",
        "Motijheel C/A",
        "Tejgaon I/A",
        "Agrabad C/A",
        "Station Road",
        "Dhaka-Mymensingh Highway",
        "BSCIC Industrial Estate",
        "College Road",
        "Sadarghat Road",
        "Zindabazar",
        "Jubilee Road",
        "Nawabpur Road",
        "Shantinagar",
        "Kazir Dewri",
        "Bypass Road",
    ),
    cash_tight=False,
)


NORTHWIND = CompanyProfile(
    code="northwind",
    name="Northwind Supply Inc",
    currency="USD",
    country="US",
    city="Newark",
    founded_year=2004,
    email_domain="northwindsupply.example",
    warehouses=(
        WarehouseSpec("EWR", "Newark NJ", "Newark", 0.6),
        WarehouseSpec("DAL", "Dallas TX", "Dallas", 0.4),
    ),
    banks=(
        BankSpec(
            "1010",
            "Bank - First Garden State Bank operating",
            "Operating account",
            "First Garden State Bank",
            "****2317",
        ),
        BankSpec(
            "1020",
            "Bank - Lone Star Commerce Bank payroll",
            "Payroll account",
            "Lone Star Commerce Bank",
            "****9046",
        ),
    ),
    tax_account_name="Sales tax payable",
    # Money columns hold two decimals: 8.875 % (New York City) cannot be
    # stored, so every taxable product uses the Dallas combined rate.
    sales_tax_pct="8.25",
    purchase_tax_bp=0,  # bought for resale: exempt with a resale certificate
    weekday_factor=(1.05, 1.0, 1.0, 1.0, 0.95, 0.15, 0.04),
    weekend=(SAT, SUN),
    orders_per_day=6.5,
    growth=0.12,
    customers=100,
    products=55,
    suppliers=24,
    line_value=640,
    approval_threshold=5_000,
    credit_grant_limit=25_000,
    opening_stock_value_months=0.8,
    cities=(
        CitySpec("Newark, NJ", "EWR", 0.14, "(973) 555-01"),
        CitySpec("Jersey City, NJ", "EWR", 0.08, "(201) 555-01"),
        CitySpec("Paterson, NJ", "EWR", 0.05, "(973) 555-01"),
        CitySpec("Edison, NJ", "EWR", 0.06, "(732) 555-01"),
        CitySpec("Trenton, NJ", "EWR", 0.04, "(609) 555-01"),
        CitySpec("New York, NY", "EWR", 0.12, "(212) 555-01"),
        CitySpec("Philadelphia, PA", "EWR", 0.08, "(215) 555-01"),
        CitySpec("Allentown, PA", "EWR", 0.03, "(610) 555-01"),
        CitySpec("Dallas, TX", "DAL", 0.14, "(214) 555-01"),
        CitySpec("Fort Worth, TX", "DAL", 0.07, "(817) 555-01"),
        CitySpec("Houston, TX", "DAL", 0.07, "(713) 555-01"),
        CitySpec("Austin, TX", "DAL", 0.04, "(512) 555-01"),
        CitySpec("Oklahoma City, OK", "DAL", 0.04, "(405) 555-01"),
        CitySpec("Shreveport, LA", "DAL", 0.04, "(318) 555-01"),
    ),
    customer_anchor_names=(
        "Summit Hardware",
        "Summit Builders LLC",
        "Keystone Mechanical Inc",
        "Keystone Facilities Services",
        "Lone Star Contractors",
        "Garden State Property Management",
    ),
    customer_first_words=(
        "Summit",
        "Lakeside",
        "Harbor",
        "Keystone",
        "Liberty",
        "Pioneer",
        "Granite",
        "Evergreen",
        "Blue Ridge",
        "Riverside",
        "Northgate",
        "Ironwood",
        "Cedar",
        "Maple Leaf",
        "Franklin",
        "Hudson",
        "Atlas",
        "Patriot",
        "Garden State",
        "Lone Star",
        "Red River",
        "Trinity",
        "Passaic",
        "Meadowlands",
        "Ridgeview",
        "Apex",
        "Cornerstone",
        "Heritage",
        "Frontier",
        "Silver Creek",
        "Oak Hill",
        "Union",
        "Delaware Valley",
        "Bluebonnet",
    ),
    customer_second_words=(
        "Supply Co.",
        "Hardware",
        "Builders",
        "Industrial",
        "Mechanical",
        "Electric",
        "Contractors",
        "Facilities Services",
        "Logistics",
        "Home Center",
        "Manufacturing",
        "Plumbing & Heating",
        "Property Management",
        "Construction",
        "Janitorial",
        "Fabrication",
        "Auto Parts",
        "Machine Works",
    ),
    customer_suffixes=("LLC", "Inc", "Corp", "", ""),
    customer_terms=((15, 0.1), (30, 0.6), (45, 0.2), (60, 0.1)),
    product_families=(
        ProductFamily(
            "Safety", "Nitrile Gloves, box of 100", "box", 12.5, ("Medium", "Large", "X-Large")
        ),
        ProductFamily(
            "Safety", "Safety Glasses", "each", 4.2, ("Clear", "Smoke", "Indoor/Outdoor")
        ),
        ProductFamily("Safety", "Hard Hat Type I", "each", 18.9, ("White", "Yellow")),
        ProductFamily("Safety", "Hi-Vis Vest Class 2", "each", 9.75, ("L/XL", "2XL/3XL")),
        ProductFamily("Safety", "Foam Ear Plugs, box of 200", "box", 28.0),
        ProductFamily("Safety", "Leather Work Gloves", "pair", 11.0, ("Large", "X-Large")),
        ProductFamily(
            "Fasteners",
            "Hex Bolts, box of 25",
            "box",
            (9.5, 14.0, 24.0),
            ("3/8-16 x 2 in", "1/2-13 x 3 in", "5/8-11 x 4 in"),
        ),
        ProductFamily(
            "Fasteners",
            "Wood Screws #8, 1 lb",
            "box",
            (8.6, 9.4, 11.2),
            ("1-1/4 in", "2 in", "3 in"),
        ),
        ProductFamily("Fasteners", "Wedge Anchors 3/8 x 3 in, pack of 50", "pack", 32.0),
        ProductFamily("Fasteners", "Flat Washers 1/2 in, pack of 100", "pack", 11.0),
        ProductFamily("Janitorial", "Shop Towels, roll", "roll", 3.1),
        ProductFamily(
            "Janitorial", "Trash Bags, case of 100", "case", (31.0, 38.0), ("33 gal", "55 gal")
        ),
        ProductFamily("Janitorial", "Paper Towels, case of 12", "case", 41.0),
        ProductFamily("Janitorial", "All-Purpose Cleaner 1 gal", "each", 12.0),
        ProductFamily("Janitorial", "Hand Soap 1 gal", "each", 15.5),
        ProductFamily("Electrical", "LED Shop Light 4 ft", "each", 34.0, ("4000 K", "5000 K")),
        ProductFamily(
            "Electrical", "Extension Cord 12/3", "each", (36.0, 59.0), ("25 ft", "50 ft")
        ),
        ProductFamily("Electrical", "Wire Connectors, pack of 100", "pack", 8.0),
        ProductFamily("Electrical", "GFCI Outlet 20 A", "each", 19.0),
        ProductFamily("Electrical", "Cable Ties 11 in, pack of 100", "pack", 7.5),
        ProductFamily(
            "Plumbing",
            "PVC Pipe Sch 40, 10 ft",
            "each",
            (9.8, 14.8, 27.0),
            ("1 in", "2 in", "3 in"),
        ),
        ProductFamily("Plumbing", "Brass Ball Valve", "each", (15.5, 22.0), ("3/4 in", "1 in")),
        ProductFamily("Plumbing", "PTFE Thread Tape, pack of 10", "pack", 6.0),
        ProductFamily("Tools", "Cordless Drill 20 V Kit", "each", 149.0),
        ProductFamily("Tools", "Tape Measure", "each", (7.5, 11.5), ("16 ft", "25 ft")),
        ProductFamily("Tools", "Utility Knife", "each", 7.8),
        ProductFamily("Tools", "Socket Set 40 pc", "set", 89.0),
        ProductFamily("Packaging", "Stretch Wrap, 1500 ft", "roll", 24.0, ("18 in", "20 in")),
        ProductFamily(
            "Packaging", "Corrugated Box, bundle of 25", "bundle", 36.0, ("12x12x12", "18x12x12")
        ),
        ProductFamily("Packaging", "Packing Tape 2 in, case of 36", "case", 72.0),
        ProductFamily("Packaging", "Pallet Labels, roll of 500", "roll", 18.0),
        ProductFamily("Packaging", "Duct Tape 2 in x 60 yd", "roll", 8.9),
        ProductFamily("Office", "Copy Paper, case of 10 reams", "case", 52.0),
        ProductFamily("Office", "Compatible Toner Cartridge", "each", 68.0, ("58A", "26A")),
        ProductFamily("Office", "Clipboard, Letter", "each", 3.4),
    ),
    internal_products=(
        ProductFamily("Internal", "Returnable Plastic Pallet", "each", 95.0),
        ProductFamily("Internal", "Demo Unit - Cordless Drill", "each", 149.0),
        ProductFamily("Internal", "Warehouse Shelving Unit", "each", 420.0),
    ),
    supplier_names={
        "Safety": ("ShieldPro Safety Products", "Allegheny PPE Distributors", "Keystone Glove Co."),
        "Fasteners": ("Midwest Fastener Corp", "Great Lakes Bolt & Nut", "Carolina Screw Works"),
        "Janitorial": (
            "Brightway Sanitation Supply",
            "Tri-State Paper Products",
            "CleanLine Chemicals",
        ),
        "Electrical": (
            "Volta Electrical Wholesale",
            "Ohio Valley Lighting",
            "Gulf Coast Wire & Cable",
        ),
        "Plumbing": (
            "Delaware Valley Plumbing Supply",
            "Lone Star Pipe & Valve",
            "Heartland Fittings",
        ),
        "Tools": (
            "Ridgeline Tool Distributors",
            "Ironclad Tool Co.",
            "Pacific Rim Hardware Imports",
        ),
        "Packaging": ("Jersey Corrugated Box Co.", "PackRight Materials", "Southwest Film & Wrap"),
        "Office": (
            "Metro Office Wholesale",
            "Paperworks Distribution",
            "Tri-County Business Supply",
        ),
        "Internal": ("Acme Storage Systems",),
    },
    supplier_cities={
        "ShieldPro Safety Products": ("Pittsburgh, PA", False),
        "Allegheny PPE Distributors": ("Harrisburg, PA", False),
        "Keystone Glove Co.": ("Scranton, PA", False),
        "Midwest Fastener Corp": ("Columbus, OH", False),
        "Great Lakes Bolt & Nut": ("Cleveland, OH", False),
        "Carolina Screw Works": ("Charlotte, NC", False),
        "Brightway Sanitation Supply": ("Secaucus, NJ", False),
        "Tri-State Paper Products": ("Elizabeth, NJ", False),
        "CleanLine Chemicals": ("Baltimore, MD", False),
        "Volta Electrical Wholesale": ("Newark, NJ", False),
        "Ohio Valley Lighting": ("Cincinnati, OH", False),
        "Gulf Coast Wire & Cable": ("Houston, TX", False),
        "Delaware Valley Plumbing Supply": ("Philadelphia, PA", False),
        "Lone Star Pipe & Valve": ("Fort Worth, TX", False),
        "Heartland Fittings": ("Kansas City, MO", False),
        "Ridgeline Tool Distributors": ("Allentown, PA", False),
        "Ironclad Tool Co.": ("Dallas, TX", False),
        "Pacific Rim Hardware Imports": ("Kaohsiung, Taiwan", True),
        "Jersey Corrugated Box Co.": ("Edison, NJ", False),
        "PackRight Materials": ("Trenton, NJ", False),
        "Southwest Film & Wrap": ("Arlington, TX", False),
        "Metro Office Wholesale": ("New York, NY", False),
        "Paperworks Distribution": ("Paterson, NJ", False),
        "Tri-County Business Supply": ("Plano, TX", False),
        "Acme Storage Systems": ("Newark, NJ", False),
    },
    supplier_terms=((15, 0.1), (30, 0.6), (45, 0.2), (60, 0.1)),
    lead_days=(4, 14),
    payment_run_weekday=THU,
    reorder_weekdays=(MON, THU),
    users=(
        UserSpec("finance", "Emily Carter", ("finance_manager",)),
        UserSpec("sales", "Michael Torres", ("sales_officer",)),
        UserSpec("sales2", "Jessica Nguyen", ("sales_officer",)),
        UserSpec("warehouse", "David Miller", ("warehouse_clerk",)),
        UserSpec("approver", "Robert Chen", ("purchasing_approver",)),
        UserSpec("admin", "Sarah Johnson", ("administrator",)),
        UserSpec("trainer", "Kevin Brooks", ("trainer",)),
    ),
    street_names=(
        "Main St",
        "Broad St",
        "Market St",
        "Industrial Pkwy",
        "Commerce Dr",
        "Route 1",
        "Harbor Blvd",
        "Elm St",
        "Oak Ave",
        "Warehouse Rd",
        "Mockingbird Ln",
        "Stemmons Fwy",
        "Lakeshore Dr",
        "Ferry St",
        "Raymond Blvd",
        "Riverside Ave",
    ),
    cash_tight=True,
)

PROFILES: tuple[CompanyProfile, ...] = (PADMA, NORTHWIND)

# Words for readable demo passwords ("teal-river-42").
PASSWORD_ADJECTIVES = (
    "teal",
    "amber",
    "coral",
    "misty",
    "sunny",
    "brave",
    "quiet",
    "rapid",
    "golden",
    "silver",
    "crisp",
    "gentle",
    "lucky",
    "mellow",
    "noble",
    "proud",
    "swift",
    "witty",
    "bright",
    "calm",
)
PASSWORD_NOUNS = (
    "river",
    "harbor",
    "meadow",
    "falcon",
    "maple",
    "canyon",
    "lantern",
    "orchid",
    "pebble",
    "summit",
    "willow",
    "comet",
    "delta",
    "ember",
    "garnet",
    "island",
    "jasper",
    "lotus",
    "otter",
    "prairie",
)

# Why a purchase order was rejected, and what a stock count found.
REJECTION_REASONS = (
    "Price is above the agreed rate; please renegotiate.",
    "Quantity too high for current demand.",
    "Duplicate of an order already placed.",
    "Budget for this month is exhausted; resubmit next month.",
    "Please use the preferred supplier for this category.",
)
APPROVAL_COMMENTS = ("", "", "", "Approved.", "OK, within budget.", "Approved - urgent restock.")
ADJUSTMENT_REASONS = (
    ("Damaged in handling", -1),
    ("Cycle count shortfall", -1),
    ("Expired or spoiled stock written off", -1),
    ("Cycle count surplus", 1),
)
