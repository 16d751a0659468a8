"""Layers of a study area: names, columns, dtypes, required/optional.

A *study area* (one commune or a group of communes, the unit of work of the
planner) is a set of layers, all held in the working CRS (EPSG:2180, PUWG 1992,
for Polish areas; see :attr:`planner.config.AreaConfig.crs`).  This module is
the single source of truth for those layers: readers map their formats onto
these columns, :mod:`planner.validation` checks them, and later stages rely on
them.

Dtype names used below: ``str`` (pandas ``object`` holding ``str``; empty
string for "no value"), ``int`` (``int64``), ``float`` (``float64``, NaN for
"no value"), ``bool``, ``date`` (``datetime64[ns]``), ``Int`` (nullable
``Int64``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The working CRS: PUWG 1992.  Its EPSG definition has northing-easting axis
#: order; the planner always uses easting-northing (``always_xy=True``).
WORKING_CRS = "EPSG:2180"

#: Locality key of addresses without a TERYT SIMC code (OSM data outside Poland):
#: ``OSM-`` and 8 hex digits of the locality name's hash (see planner.io.osm).
SYNTHETIC_SIMC_PATTERN = r"OSM-[0-9a-f]{8}"

#: Approximate extent of Poland in EPSG:2180 (easting, northing), metres.
POLAND_BOUNDS_2180 = (140_000.0, 120_000.0, 880_000.0, 790_000.0)


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer."""

    name: str
    dtype: str
    required: bool = True
    description: str = ""
    allowed: tuple[str, ...] | None = None
    default: str | bool | float | None = None


@dataclass(frozen=True)
class LayerSpec:
    """Definition of one layer of a study area."""

    name: str
    geometry: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    id_column: str | None = "id"
    description: str = ""
    geometry_required: bool = True

    @property
    def column_names(self) -> list[str]:
        """Names of the columns, in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Names of the required columns, in order."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column called ``name`` (``KeyError`` if the layer has none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# --- value vocabularies ----------------------------------------------------

POLE_OWNERS = ("commune_lighting", "telecom", "power")
CONSENT_VALUES = ("granted", "pending", "refused", "not_needed")
OWNERSHIP_VALUES = ("public", "private")
COVERAGE_STATUS = ("existing", "planned")
SURFACES = ("unpaved", "paved", "carriageway")
DEPLOYMENT_TYPES = ("aerial", "duct", "trench")
BUILDING_USES = ("residential", "summer_house", "commercial", "public", "farm", "other")

_POINT = ("Point",)
_LINE = ("LineString", "MultiLineString")
_POLY = ("Polygon", "MultiPolygon")

ADDRESSES = LayerSpec(
    name="addresses",
    geometry=_POINT,
    description="Address points (PRG punkty adresowe or OSM addresses).",
    columns=(
        Column("id", "str", description="Address point id (PRG lokalnyId / idIIP, or OSM id)."),
        Column("terc", "str", description="TERYT TERC code of the commune, 7 digits (WWPPGGR)."),
        Column("simc", "str", description="TERYT SIMC code of the locality, 7 digits; OSM data without TERYT tags "
                                          "get a synthetic key 'OSM-<hash of the locality name>'."),
        Column("ulic", "str", required=False, default="", description="TERYT ULIC street code, 5 digits; empty "
                                                                      "where the address has no street."),
        Column("locality", "str", description="Locality name (miejscowość)."),
        Column("street", "str", required=False, default="", description="Street name without the 'ul.' prefix; "
                                                                        "empty if none."),
        Column("house_number", "str", description="House number (numer porządkowy), e.g. '12A'."),
        Column("postcode", "str", required=False, default=""),
        Column("is_business", "bool", required=False, default=False,
               description="Address of a business (przedsiębiorca)."),
        Column("status", "str", required=False, default="istniejacy", description="PRG status: istniejacy, "
                                                                                  "wTrakcieBudowy, prognozowany, ..."),
    ),
)

BUILDINGS = LayerSpec(
    name="buildings",
    geometry=_POLY + _POINT,
    required=False,
    description="Building footprints (EGiB/BDOT10k/OSM); used for investment barriers.",
    columns=(
        Column("id", "str"),
        Column("use", "str", required=False, default="residential", allowed=BUILDING_USES,
               description="Building use; 'summer_house' marks a holiday house (zabudowa letniskowa)."),
    ),
)

COVERAGE = LayerSpec(
    name="coverage",
    geometry=_POINT + _POLY,
    required=False,
    geometry_required=False,
    id_column=None,
    description=(
        "Operator coverage: one row per (address point, operator, technology). Keyed by "
        "address_id or by TERC/SIMC/ULIC/house number, or located by a point/area geometry."
    ),
    columns=(
        Column("address_id", "str", required=False, default=""),
        Column("terc", "str", required=False, default=""),
        Column("simc", "str", required=False, default=""),
        Column("ulic", "str", required=False, default=""),
        Column("street", "str", required=False, default=""),
        Column("house_number", "str", required=False, default=""),
        Column("operator", "str", description="Operator name or id."),
        Column("medium", "str", description="fibre, coax, copper, radio, other."),
        Column("technology", "str", description="Access technology as in the UKE code list (GPON, VDSL2, "
                                                "(EURO)DOCSIS 3.x, ...)."),
        Column("down_mbps", "float", description="Maximum downlink, Mb/s."),
        Column("up_mbps", "float", required=False, default=float("nan")),
        Column("status", "str", allowed=COVERAGE_STATUS, default="existing"),
        Column("year", "Int", required=False, default=None, description="Year the planned coverage is due "
                                                                        "(planned rows)."),
    ),
)

POLES = LayerSpec(
    name="poles",
    geometry=_POINT,
    required=False,
    description="Existing poles the cable may hang on. No new poles are set.",
    columns=(
        Column("id", "str"),
        Column("owner", "str", allowed=POLE_OWNERS, description="commune_lighting (street lamps), telecom, power."),
        Column("usable", "bool", required=False, default=True, description="False where the pole cannot take a "
                                                                           "cable (load, state)."),
    ),
)

DUCTS = LayerSpec(
    name="ducts",
    geometry=_LINE,
    required=False,
    description="Existing technological ducts (kanały technologiczne) offered for reuse.",
    columns=(
        Column("id", "str"),
        Column("owner", "str", required=False, default=""),
        Column("free_subducts", "int", required=False, default=1),
    ),
)

ROADS = LayerSpec(
    name="roads",
    geometry=_LINE,
    description="Road centrelines; the cable follows them.",
    columns=(
        Column("id", "str"),
        Column("highway", "str", required=False, default="unclassified",
               description="OSM-style class: primary, secondary, tertiary, residential, unclassified, service, "
                           "track, ..."),
        Column("name", "str", required=False, default=""),
        Column("surface", "str", required=False, default="paved", allowed=("unpaved", "paved"),
               description="Surface of the verge/road where a trench would run."),
        Column("lit", "bool", required=False, default=False),
        Column("private", "bool", required=False, default=False, description="Private (internal) road: crossing "
                                                                             "it needs the owner's consent."),
    ),
)

PARCELS = LayerSpec(
    name="parcels",
    geometry=_POLY,
    required=False,
    description="Cadastral parcels (działki EGiB) that matter for routing consents.",
    columns=(
        Column("id", "str", description="EGiB parcel id, e.g. 140804_5.0001.123/4."),
        Column("ownership", "str", allowed=OWNERSHIP_VALUES, default="private"),
        Column("consent", "str", allowed=CONSENT_VALUES, default="not_needed",
               description="Owner's consent (zgoda) for crossing: granted, pending, refused, not_needed."),
    ),
)

POPS = LayerSpec(
    name="pops",
    geometry=_POINT,
    description="Points of presence / central offices where the fibre network starts.",
    columns=(
        Column("id", "str"),
        Column("name", "str", required=False, default=""),
    ),
)

LOCALITIES = LayerSpec(
    name="localities",
    geometry=_POLY,
    required=False,
    id_column="simc",
    description="Locality (village) areas; derived from address points when absent.",
    columns=(
        Column("simc", "str"),
        Column("terc", "str"),
        Column("locality", "str"),
    ),
)

NEW_BUILDINGS = LayerSpec(
    name="new_buildings",
    geometry=_POINT,
    required=False,
    description="Newly built houses not on the official white-spot list (candidates for reallocation).",
    columns=(
        Column("id", "str"),
        Column("terc", "str"),
        Column("simc", "str"),
        Column("ulic", "str", required=False, default=""),
        Column("locality", "str"),
        Column("street", "str", required=False, default=""),
        Column("house_number", "str"),
        Column("is_business", "bool", required=False, default=False),
    ),
)

AS_BUILT = LayerSpec(
    name="as_built",
    geometry=_LINE + _POINT,
    required=False,
    description="What has been built: segments (lines) and connected address points (points), each dated.",
    columns=(
        Column("id", "str"),
        Column("kind", "str", allowed=("segment", "connection")),
        Column("deployment", "str", required=False, default="", description="aerial, duct or trench (segments)."),
        Column("address_id", "str", required=False, default="", description="Connected address id (connections)."),
        Column("built_on", "date"),
    ),
)

#: Every layer, in the order they are loaded and validated.
LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (ADDRESSES, BUILDINGS, COVERAGE, POLES, DUCTS, ROADS, PARCELS, POPS, LOCALITIES, NEW_BUILDINGS,
                 AS_BUILT)
}


# --- output tables of a plan ---------------------------------------------
# The contract between stages and with the writers (maps, report, compare).
# Stage modules add exactly these columns; writers may rely on them.  A plan
# directory holds ``plan.gpkg`` with the spatial ones as layers (EPSG:2180) and
# CSV copies of the tables.

#: Values of the addresses' ``plan_status`` column, in legend order: ``connect`` (planned),
#: ``connected`` (built, from as-built data), ``unconnected`` (a target the design cannot
#: connect), ``barrier`` (bariera inwestycyjna), ``grey`` / ``black`` (served by others).
PLAN_STATUSES: tuple[str, ...] = ("connect", "connected", "unconnected", "barrier", "grey", "black")
#: Statuses of the points the network passes (planned or built).
CONNECTED_STATUSES: tuple[str, ...] = ("connect", "connected")

#: Layers of a plan directory's ``plan.gpkg`` that maps and readers use, in drawing order.
PLAN_LAYERS: tuple[str, ...] = ("addresses", "segments", "drops", "poles_used", "ducts", "localities", "pops",
                                # issue #16: the optical network's layers (planner.network.NETWORK_LAYERS),
                                # absent from plans written without it
                                "cabinet_areas", "cables", "closures", "splitters", "cabinets", "olt")

#: Per-address result: the addresses layer plus these columns.
OUT_ADDRESS_COLUMNS: tuple[str, ...] = (
    # whitespots stage
    "ws_class",          # 'white' | 'grey' | 'black'
    "ws_reason",         # e.g. 'no NGA offer', 'only VDSL2 30 Mb/s (Orange)', 'planned FTTH 2027 by X (beyond horizon)'
    "n_nga_now",         # distinct operators with fixed NGA now
    "n_nga_planned",     # distinct operators with NGA planned within the horizon
    "match_method",      # 'address_id' | 'address_key' | 'nearest_point' | 'area' | 'none'
    "is_barrier",        # bool: investment barrier (bariera inwestycyjna)
    "barrier_reason",    # '' | 'no_building' | 'summer_house' | 'status_<prg status>'
    "is_target",         # bool: white and not a barrier -> to be connected
    # design stage
    "plan_status",       # 'connect' | 'unconnected' | 'barrier' | 'grey' | 'black'  ('connected' after as-built)
    "unconnected_reason",  # '' | 'consent_refused' | 'no_road_access' | 'reach' | 'long_drop_excluded'
    "drop_length_m",     # float, NaN if not connected
    "drop_fee_pln",      # distance fee beyond the contracted drop length
    # schedule stage
    "milestone",         # milestone name, '' if not a target
    "milestone_date",    # deadline of that milestone (date)
    "passed_date",       # planned date the point is passed (date, NaT if never)
)

#: Network segments (edges of the shared tree), oriented away from the POP.
OUT_SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",        # int, unique
    "parent_id",         # int, upstream segment towards the POP; -1 at the POP
    "u", "v",            # graph node ids; u is the end nearer the POP
    "deployment",        # 'aerial' | 'duct' | 'trench'
    "pole_owner",        # aerial: 'commune_lighting' | 'telecom' | 'power'; else ''
    "pole_ids",          # ';'-joined ids of the poles used
    "n_poles",           # int
    "duct_id",           # duct reused, else ''
    "surface",           # trench: 'unpaved' | 'paved' | 'carriageway'; else ''
    "road_crossings",    # int
    "consent",           # 'not_needed' | 'granted' | 'pending'
    "parcel_id",         # private parcel crossed, else ''
    "length_m", "cost_pln",
    "simc", "locality",  # locality the segment serves (nearest address's)
    "dist_from_pop_m",   # fibre distance from the POP to the far end v
    "n_targets_downstream",  # target points whose path runs through it
)

#: Drops: access point on the network -> address point (the fence).
OUT_DROP_COLUMNS: tuple[str, ...] = (
    "address_id", "simc", "locality", "segment_id",  # segment_id: the tree segment it hangs off (-1: at a node)
    "access_node", "length_m", "slack_m", "over_limit_m", "fee_pln", "cost_pln", "fibre_distance_m",
)

#: Per-locality table (also a polygon layer in plan.gpkg).
OUT_LOCALITY_COLUMNS: tuple[str, ...] = (
    "terc", "simc", "locality", "commune",
    "points", "businesses", "white", "grey", "black", "barriers", "targets",
    "connected", "unconnected", "km_aerial", "km_duct", "km_trench", "cost_pln",
    "milestone", "milestone_date", "pct_passed_by_deadline",
)

#: Bill of quantities: one row per locality plus a final row with simc='TOTAL'.
OUT_BOM_COLUMNS: tuple[str, ...] = (
    "simc", "locality",
    "km_aerial_commune_lighting", "km_aerial_telecom", "km_aerial_power",
    "km_duct", "km_trench_unpaved", "km_trench_paved", "km_trench_carriageway",
    "road_crossings", "poles_commune_lighting", "poles_telecom", "poles_power",
    "drops", "km_drops", "km_slack", "long_drops", "distance_fees_pln",
    "cost_network_pln", "cost_drops_pln", "cost_total_pln", "homes_passed", "cost_per_home_pln",
)

# --- build progress ------------------------------------------------------------

#: Values of the localities' optional ``village_state`` column (re-planning from what is
#: built, issue #18): every target passed, work remaining with the milestone still
#: reachable, and the milestone's 80 % no longer reachable.
VILLAGE_STATES: tuple[str, ...] = ("built", "remaining", "at_risk")

# --- database identifiers (issue #20) ----------------------------------------
#: Schema and table names accepted for PostGIS study areas and plans
#: (``?schema=NAME``, ``[area.tables]``): ASCII letters, digits and ``_``, not
#: starting with a digit, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1).  Names
#: are always quoted (:class:`psycopg.sql.Identifier`); this rule only keeps them
#: unambiguous to type in psql and QGIS.
SQL_IDENTIFIER_PATTERN = r"[A-Za-z_][A-Za-z0-9_]{0,62}"

# --- re-planning from what is built (issue #18) -----------------------------

#: Reasons an as-built record is listed in ``asbuilt_issues.csv`` (planner replan).
ASBUILT_ISSUE_REASONS: tuple[str, ...] = (
    "future_dated",            # built_on after the as-of date: not counted
    "before_project_start",    # built_on before schedule.start_date: counted
    "geometry_kind_mismatch",  # a 'segment' that is not a line, a 'connection' that is not a point: not counted
    "duplicate_segment",       # the same stretch recorded again (another line covers it): not counted twice
    "duplicate_connection",    # an address connected in more than one record: counted once
    "off_plan",                # a line that follows no planned segment: counted in km built, not as plan progress
    "deployment_differs",      # built aerial/duct/trench where the plan has another deployment: counted
    "unknown_segment_id",      # a segment_id that is not in the plan: matched by geometry instead
    "id_geometry_mismatch",    # a segment_id whose geometry lies away from that planned segment: counted by id
    "unknown_address",         # a connection naming no address of the area: not counted
    "not_a_target",            # a connection of an address that is not a target (grey/black/barrier): not counted
    "not_in_plan",             # a connected target the design leaves unconnected: counted
    "connected_without_path",  # a connected target with no built path to a POP: counted (passed), to check
    "far_from_address",        # a connection point far from its address point: counted, to check
)

#: Columns of ``asbuilt_issues.csv``: one row per (as-built record, reason).
ASBUILT_ISSUE_COLUMNS: tuple[str, ...] = (
    "row",          # 0-based row of the as-built layer
    "id", "kind", "built_on", "address_id",
    "reason",       # one of ASBUILT_ISSUE_REASONS
    "detail",       # the reason in words, with the figures
    "counted",      # bool: the record still counts towards progress
    "segment_ids",  # ';'-joined planned segments it matches (segments)
)

# --- white-spot stage (issue #15: one home for its vocabularies) ------------

#: Media of the coverage layer (column ``medium``); the readers map UKE/SIDUSIS names onto these.
COVERAGE_MEDIA: tuple[str, ...] = ("fibre", "coax", "copper", "radio", "other")

#: White-spot classes (column ``ws_class``): no NGA network, one, two or more.
WS_CLASSES: tuple[str, ...] = ("white", "grey", "black")

#: How an address point's coverage was matched (column ``match_method``), best first.
MATCH_METHODS: tuple[str, ...] = ("address_id", "address_key", "nearest_point", "area", "none")

# --- optical network layer (issue #16) -------------------------------------

CABINET_SITES = LayerSpec(
    name="cabinet_sites",
    geometry=_POINT,
    required=False,
    description="Candidate cabinet sites (public land, road verges); where given, cabinets stand only there.",
    columns=(
        Column("id", "str"),
        Column("name", "str", required=False, default=""),
    ),
)
LAYERS[CABINET_SITES.name] = CABINET_SITES

#: Address columns added by the network layer.
OUT_ADDRESS_NETWORK_COLUMNS: tuple[str, ...] = (
    "cabinet_id",        # cabinet serving the address ('' if none / express)
    "splitter_id",       # last splitter on its path ('' if none / express)
    "splitter_port",     # output port of that splitter (0 if none)
    "olt_port",          # OLT port '<pop>/<card>/<port>' (PON) or '<pop>/P<card>/<port>' (point-to-point)
    "loss_db_1310",      # optical loss upstream, dB (NaN if not connected)
    "loss_db_1490",      # optical loss downstream, dB
    "express_fibre",     # bool: dedicated unsplit fibre
)

#: Cabinets (points; ``cabinet_areas`` holds the service-area polygons).
OUT_CABINET_COLUMNS: tuple[str, ...] = (
    "cabinet_id", "pop_id", "site_id", "node", "simc", "locality", "homes", "splitters", "ports_provisioned",
    "capacity_ports", "feeder_fibres", "olt_ports", "closure_splitters", "max_distance_m", "fibre_km",
)
OUT_CABINET_AREA_COLUMNS: tuple[str, ...] = ("cabinet_id", "homes")

#: Splitters (points): stage 1 in cabinets, stage 2 in closures (cascade).
OUT_SPLITTER_COLUMNS: tuple[str, ...] = (
    "splitter_id", "stage", "ratio", "cabinet_id", "node", "upstream_splitter_id", "upstream_port", "olt_port",
    "pop_id", "homes", "ports_used", "ports_free",
)

#: Cables (lines between joints), sized from the catalogue.
OUT_CABLE_COLUMNS: tuple[str, ...] = (
    "cable_id", "kind", "cable_size", "parallel", "fibres_used", "fibres_spare", "feeder_fibres", "distribution_fibres",
    "express_fibres", "length_m", "segments", "from_node", "to_node",
)

#: Splice closures (points).
OUT_CLOSURE_COLUMNS: tuple[str, ...] = (
    "closure_id", "kind", "node", "splices", "cables_out", "merged_nodes", "splitters", "simc",
)

#: OLT per POP (points).
OUT_OLT_COLUMNS: tuple[str, ...] = (
    "pop_id", "name", "proposed", "basis", "homes", "express_homes", "cabinets", "pon_ports", "pon_cards",
    "p2p_ports", "p2p_cards",
)

#: Loss budget per connected address (``loss_budget.csv``).
OUT_LOSS_BUDGET_COLUMNS: tuple[str, ...] = (
    "address_id", "cabinet_id", "splitter_id", "olt_port", "express_fibre", "fibre_m", "route_m", "detour_m",
    "splitter_loss_db", "connectors", "splices", "loss_db_1310", "loss_db_1490", "budget_db", "headroom_db",
    "within_budget", "within_reach", "cause", "fix",
)

#: Fibres per route segment.
OUT_SEGMENT_FIBRE_COLUMNS: tuple[str, ...] = (
    "segment_id", "feeder", "distribution", "express", "fibres", "cable_id", "cable_size", "parallel",
)

#: Column the network layer adds to the bill of quantities (after ``cost_drops_pln``).
OUT_BOM_NETWORK_COLUMNS: tuple[str, ...] = ("cost_optical_pln",)
