"""Texts of the maps in Polish and English.

Every label, legend entry, popup field and explanatory note of the maps is here,
keyed by a short code, once per language (``pl``, the councillors' language,
and ``en``).  The Polish texts use the vocabulary of the council minutes:
białe plamy (white spots), bariery inwestycyjne (investment barriers), kamienie
milowe (milestones), zgody (landowners' consents).
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXT", "vocab"]

TEXT: dict[str, dict[str, str]] = {
    "pl": {
        "title": "Sieć światłowodowa w białych plamach",
        "status.connect": "Biała plama – do podłączenia",
        "status.connected": "Podłączony (powykonawczo)",
        "status.unconnected": "Biała plama – niepodłączona",
        "status.barrier": "Bariera inwestycyjna",
        "status.grey": "Punkt szary (zasięg NGA jednego operatora)",
        "status.black": "Punkt czarny (już pokryty siecią NGA)",
        "net.aerial_commune_lighting": "Sieć napowietrzna – słupy oświetleniowe gminy",
        "net.aerial_telecom": "Sieć napowietrzna – słupy telekomunikacyjne",
        "net.aerial_power": "Sieć napowietrzna – słupy energetyczne",
        "net.duct": "Sieć w istniejącej kanalizacji",
        "net.trench": "Sieć doziemna (nowy wykop)",
        "layer.drops": "Przyłącza do ogrodzenia",
        "layer.long_drops": "Przyłącza ponad {limit} m (opłata dystansowa)",
        "layer.long_drops.nolimit": "Przyłącza ponad limit umowy (opłata dystansowa)",
        "layer.poles": "Wykorzystane słupy",
        "layer.ducts": "Istniejące kanały technologiczne",
        "layer.localities": "Miejscowości – kamienie milowe",
        "layer.pops": "Punkt dostępowy (POP)",
        "legend.addresses": "Punkty adresowe",
        "legend.network": "Sieć planowana",
        "legend.drops": "Przyłącza",
        "legend.other": "Inne",
        "legend.milestones": "Kamienie milowe",
        "legend.no_milestone": "bez kamienia milowego",
        "col.reason": "Powód",
        "col.milestone": "Kamień milowy",
        "col.passed": "Planowane doprowadzenie sieci",
        "col.drop": "Przyłącze",
        "col.fee": "Opłata dystansowa",
        "col.over": "Ponad limit umowy",
        "col.business": "Przedsiębiorca",
        "col.length": "Długość",
        "col.poles": "Liczba słupów",
        "col.duct": "Kanał",
        "col.surface": "Nawierzchnia",
        "col.crossings": "Przejścia pod drogą",
        "col.consent": "Zgoda właściciela",
        "col.locality": "Miejscowość",
        "col.commune": "Gmina",
        "col.points": "Punkty adresowe",
        "col.white": "Białe plamy",
        "col.targets": "Do podłączenia",
        "col.barriers": "Bariery inwestycyjne",
        "col.connected": "Podłączone",
        "col.unconnected": "Niepodłączone",
        "col.pct": "Punkty z siecią do terminu",
        "col.km_aerial": "Sieć napowietrzna",
        "col.km_duct": "Sieć w kanalizacji",
        "col.km_trench": "Sieć doziemna",
        "col.id": "Identyfikator",
        "col.owner": "Właściciel",
        "col.free_subducts": "Wolne mikrorurki",
        "col.name": "Nazwa",
        "yes": "tak",
        "unit.pln": " zł",
        "owner.commune_lighting": "gmina (oświetlenie)",
        "owner.telecom": "operator telekomunikacyjny",
        "owner.power": "zakład energetyczny",
        "surface.unpaved": "grunt nieutwardzony",
        "surface.paved": "chodnik / nawierzchnia utwardzona",
        "surface.carriageway": "jezdnia",
        "consent.granted": "udzielona",
        "consent.pending": "oczekuje",
        "barrier.no_building": "brak budynku (pusta działka)",
        "barrier.summer_house": "zabudowa letniskowa",
        "barrier.status": "status w PRG: {status}",
        "unconnected.consent_refused": "brak zgody właściciela działki",
        "unconnected.no_road_access": "brak dostępu od drogi",
        "unconnected.reach": "poza zasięgiem sieci (zbyt daleko od POP)",
        "unconnected.long_drop_excluded": "przyłącze dłuższe niż limit umowy – wyłączone",
        "locality": "Miejscowość",
        "milestone.due": "{name} – do {date}",
        "drop.long": "Przyłącze ponad {limit} m – opłata dystansowa",
        "drop.long.nolimit": "Przyłącze ponad limit umowy – opłata dystansowa",
        "drop": "Przyłącze",
        "search": "Szukaj adresu, np. Warszawska 12",
        "search.none": "Nie znaleziono adresu",
        "sub": ("Punkty adresowe: {points} · białe plamy do podłączenia: {targets} · "
                "sieć: {km} km (pod ziemią {km_under} km)"),
        "howto": "Jak czytać tę mapę?",
        "note": (
            "Kropki to punkty adresowe. Białe kropki z granatową obwódką to białe plamy, do których "
            "zostanie doprowadzony światłowód; zielone – już podłączone; czerwone – białe plamy, których "
            "nie da się podłączyć (powód w opisie punktu, np. brak zgody właściciela działki); "
            "pomarańczowe – bariery inwestycyjne (np. brak budynku); szare i czarne – adresy, które mają "
            "lub będą miały szybki internet od innego operatora. Linie to planowana sieć: przerywane – "
            "kabel na istniejących słupach, ciągłe – pod ziemią (w istniejącej kanalizacji lub w nowym "
            "wykopie); czerwone przerywane – przyłącza ponad limit umowy z opłatą dystansową. Kolor tła "
            "miejscowości oznacza kamień milowy, w którym zostanie ona objęta siecią. Kliknij punkt, "
            "linię lub miejscowość, aby zobaczyć szczegóły; wpisz adres w polu wyszukiwania; warstwy "
            "włączysz i wyłączysz w prawym górnym rogu."
        ),
        "note.offline": "Mapa działa bez internetu, dlatego nie ma podkładu mapowego (ulic i budynków).",
        "note.online": "Podkład mapy: OpenStreetMap (wymaga internetu).",
        # base layer (offline): roads and place names
        "layer.roads": "Podkład: drogi",
        "layer.places": "Podkład: nazwy miejscowości",
        "note.offline.base": ("Mapa działa bez internetu; podkładem są uproszczone drogi i nazwy miejscowości "
                              "(bez budynków)."),
        # re-planning from what is built (issue #18)
        "layer.villages": "Miejscowości – postęp budowy",
        "village": "Miejscowość – postęp budowy",
        "legend.villages": "Postęp budowy (miejscowości)",
        "village_state.built": "Zbudowana – sieć doprowadzona",
        "village_state.remaining": "Do budowy – kamień milowy niezagrożony",
        "village_state.at_risk": "Zagrożony kamień milowy (poniżej 80 % punktów do terminu)",
        "village_state.none": "bez oceny postępu",
        "col.state": "Stan budowy",
        "col.pct_now": "Punkty z siecią dziś",
        "col.reachable": "Kamień milowy osiągalny",
        "col.consents_pending": "Zgody oczekujące (odcinki sieci)",
        "col.km_built": "Sieć zbudowana",
        "col.kind": "Rodzaj sieci",
        "no": "nie",
        "net.built": "Sieć zbudowana",
        "net.built.aerial": "Sieć zbudowana – na słupach",
        "net.built.underground": "Sieć zbudowana – pod ziemią",
        "legend.built": "Sieć zbudowana",
        "sub.built": " · zbudowano {km} km (pod ziemią {km_under} km)",
        "sub.at_risk": " · miejscowości z zagrożonym kamieniem milowym: {n}",
        "note.villages": ("Kolor miejscowości pokazuje postęp budowy: zielony – zbudowana, niebieski – do budowy "
                          "z niezagrożonym kamieniem milowym, czerwony – kamień milowy zagrożony (80 % punktów "
                          "adresowych nie zdąży do terminu, np. z powodu brakujących zgód). Ciemnozielone linie to "
                          "sieć już zbudowana. Kolory kamieni milowych można włączyć w prawym górnym rogu."),
        # communes map (issue #19)
        "communes.title": "Białe plamy i koszt sieci w gminach",
        "communes.layer.cost": "Koszt na dom (zł)",
        "communes.layer.white": "Białe plamy (punkty adresowe)",
        "communes.layer.communes": "Gminy – granice i opisy",
        "communes.layer.names": "Nazwy gmin",
        "communes.heading": "Gmina",
        "communes.legend.cost": "Koszt sieci na dom",
        "communes.legend.white": "Białe plamy",
        "communes.legend.other": "Gminy",
        "communes.failed": "błąd",
        "communes.failed.legend": "Plan gminy nie powstał (błąd)",
        "communes.failed.popup": "błąd – plan nie powstał, zob. failures.csv",
        "communes.nodata": "brak danych",
        "communes.ok": "dotrzymane",
        "communes.not_ok": "zagrożone",
        "col.terc": "TERC",
        "col.cost": "Koszt sieci",
        "col.cost_per_home": "Koszt na dom",
        "col.milestones": "Kamienie milowe",
        "col.status": "Stan",
        "col.connected_homes": "Punkty z siecią",
        "communes.search": "Szukaj gminy, np. Serock",
        "communes.search.none": "Nie znaleziono gminy",
        "communes.sub": ("Gminy: {n} (błąd: {failed}) · białe plamy: {white} · do podłączenia: {targets} · "
                         "sieć: {km} km · koszt: {cost} mln zł"),
        "communes.note": ("Kolor gminy pokazuje koszt sieci na jeden dom (punkt adresowy do podłączenia) albo "
                          "liczbę białych plam; przełączysz to w prawym górnym rogu. Szare, kreskowane gminy to "
                          "te, których planu nie udało się policzyć (przyczyna w failures.csv). Kliknij gminę, "
                          "aby zobaczyć jej liczby: białe plamy, sieć w km, koszt i kamienie milowe."),
        "attribution": ("Dane: © <a href=\"{osm}\">OpenStreetMap</a> contributors (ODbL) · "
                        "PRG: GUGiK · TERYT: GUS"),
    },
    "en": {
        "title": "Fibre network in broadband white spots",
        "status.connect": "White spot – to be connected",
        "status.connected": "Connected (as built)",
        "status.unconnected": "White spot – not connected",
        "status.barrier": "Investment barrier",
        "status.grey": "Grey point (one operator's NGA coverage)",
        "status.black": "Black point (already covered by NGA)",
        "net.aerial_commune_lighting": "Aerial network – commune lighting poles",
        "net.aerial_telecom": "Aerial network – telecom poles",
        "net.aerial_power": "Aerial network – power poles",
        "net.duct": "Network in existing ducts",
        "net.trench": "Underground network (new trench)",
        "layer.drops": "Drops to the fence",
        "layer.long_drops": "Drops over {limit} m (distance fee)",
        "layer.long_drops.nolimit": "Drops beyond the contract length (distance fee)",
        "layer.poles": "Poles used",
        "layer.ducts": "Existing technological ducts",
        "layer.localities": "Localities – milestones",
        "layer.pops": "Point of presence (POP)",
        "legend.addresses": "Address points",
        "legend.network": "Planned network",
        "legend.drops": "Drops",
        "legend.other": "Other",
        "legend.milestones": "Milestones",
        "legend.no_milestone": "no milestone",
        "col.reason": "Reason",
        "col.milestone": "Milestone",
        "col.passed": "Network planned to arrive",
        "col.drop": "Drop",
        "col.fee": "Distance fee",
        "col.over": "Beyond contract length",
        "col.business": "Business",
        "col.length": "Length",
        "col.poles": "Poles",
        "col.duct": "Duct",
        "col.surface": "Surface",
        "col.crossings": "Road crossings",
        "col.consent": "Owner's consent",
        "col.locality": "Locality",
        "col.commune": "Commune",
        "col.points": "Address points",
        "col.white": "White spots",
        "col.targets": "To be connected",
        "col.barriers": "Investment barriers",
        "col.connected": "Connected",
        "col.unconnected": "Not connected",
        "col.pct": "Points passed by the deadline",
        "col.km_aerial": "Aerial network",
        "col.km_duct": "Network in ducts",
        "col.km_trench": "Underground network",
        "col.id": "Id",
        "col.owner": "Owner",
        "col.free_subducts": "Free subducts",
        "col.name": "Name",
        "yes": "yes",
        "unit.pln": " PLN",
        "owner.commune_lighting": "commune (street lighting)",
        "owner.telecom": "telecom operator",
        "owner.power": "power utility",
        "surface.unpaved": "unpaved verge",
        "surface.paved": "pavement / paved surface",
        "surface.carriageway": "carriageway",
        "consent.granted": "granted",
        "consent.pending": "pending",
        "barrier.no_building": "no building (empty plot)",
        "barrier.summer_house": "summer house",
        "barrier.status": "PRG status: {status}",
        "unconnected.consent_refused": "landowner's consent refused",
        "unconnected.no_road_access": "no access from a road",
        "unconnected.reach": "out of reach (too far from the POP)",
        "unconnected.long_drop_excluded": "drop longer than the contract length – excluded",
        "locality": "Locality",
        "milestone.due": "{name} – due {date}",
        "drop.long": "Drop over {limit} m – distance fee",
        "drop.long.nolimit": "Drop beyond the contract length – distance fee",
        "drop": "Drop",
        "search": "Find an address, e.g. Warszawska 12",
        "search.none": "No address found",
        "sub": ("Address points: {points} · white spots to connect: {targets} · "
                "network: {km} km ({km_under} km underground)"),
        "howto": "How to read this map",
        "note": (
            "Dots are address points. White dots with a navy ring are white spots that will get fibre; "
            "green ones are already connected; red ones are white spots that cannot be connected (the "
            "reason is in the point's popup, e.g. a landowner's consent refused); orange ones are "
            "investment barriers (e.g. no building); grey and black ones already have, or will get, fast "
            "internet from another operator. Lines are the planned network: dashed on existing poles, solid "
            "underground (in existing ducts or a new trench); red dashed lines are drops beyond the "
            "contract length that pay a distance fee. A locality's colour is the milestone in which it gets "
            "the network. Click a point, line or locality for details; type an address in the search box; "
            "switch layers on and off at the top right."
        ),
        "note.offline": "The map works without internet, so it has no base map (streets, buildings).",
        "note.online": "Base map: OpenStreetMap (needs internet).",
        # base layer (offline): roads and place names
        "layer.roads": "Base: roads",
        "layer.places": "Base: place names",
        "note.offline.base": ("The map works without internet; its base is simplified roads and place names "
                              "(no buildings)."),
        # re-planning from what is built (issue #18)
        "layer.villages": "Localities – build progress",
        "village": "Locality – build progress",
        "legend.villages": "Build progress (localities)",
        "village_state.built": "Built – network in place",
        "village_state.remaining": "Remaining – milestone reachable",
        "village_state.at_risk": "Milestone at risk (under 80 % of points by the deadline)",
        "village_state.none": "no progress assessment",
        "col.state": "Build state",
        "col.pct_now": "Points passed today",
        "col.reachable": "Milestone reachable",
        "col.consents_pending": "Consents pending (network segments)",
        "col.km_built": "Network built",
        "col.kind": "Network type",
        "no": "no",
        "net.built": "Network built",
        "net.built.aerial": "Network built – on poles",
        "net.built.underground": "Network built – underground",
        "legend.built": "Network built",
        "sub.built": " · built {km} km ({km_under} km underground)",
        "sub.at_risk": " · localities with a milestone at risk: {n}",
        "note.villages": ("A locality's colour shows the build progress: green built, blue work remaining with its "
                          "milestone reachable, red milestone at risk (80 % of its address points will not be passed "
                          "by the deadline, e.g. for want of consents). Dark green lines are the network already "
                          "built. Milestone colours can be switched on at the top right."),
        # communes map (issue #19)
        "communes.title": "White spots and network cost by commune",
        "communes.layer.cost": "Cost per home (PLN)",
        "communes.layer.white": "White spots (address points)",
        "communes.layer.communes": "Communes – boundaries and figures",
        "communes.layer.names": "Commune names",
        "communes.heading": "Commune",
        "communes.legend.cost": "Network cost per home",
        "communes.legend.white": "White spots",
        "communes.legend.other": "Communes",
        "communes.failed": "failed",
        "communes.failed.legend": "No plan (the commune failed)",
        "communes.failed.popup": "failed – no plan, see failures.csv",
        "communes.nodata": "no data",
        "communes.ok": "met",
        "communes.not_ok": "at risk",
        "col.terc": "TERC",
        "col.cost": "Network cost",
        "col.cost_per_home": "Cost per home",
        "col.milestones": "Milestones",
        "col.status": "State",
        "col.connected_homes": "Points passed",
        "communes.search": "Find a commune, e.g. Serock",
        "communes.search.none": "No commune found",
        "communes.sub": ("Communes: {n} ({failed} failed) · white spots: {white} · to connect: {targets} · "
                         "network: {km} km · cost: {cost} M PLN"),
        "communes.note": ("A commune's colour shows the network cost per home (address point to connect) or its "
                          "number of white spots; switch between them at the top right. Grey hatched communes are "
                          "those whose plan failed (the reason is in failures.csv). Click a commune for its figures: "
                          "white spots, network km, cost and milestones."),
        "attribution": ("Data: © <a href=\"{osm}\">OpenStreetMap</a> contributors (ODbL) · "
                        "PRG: GUGiK · TERYT: GUS"),
    },
}


#: Supported languages.
LANGUAGES: tuple[str, ...] = tuple(TEXT)


def vocab(lang: str, prefix: str) -> dict[str, str]:
    """Code -> label of the texts ``<prefix>.<code>`` of one language.

    Parameters
    ----------
    lang
        ``'pl'`` or ``'en'``.
    prefix
        Key prefix without the dot, e.g. ``'surface'``.

    Returns
    -------
    dict
        E.g. ``{'unpaved': 'grunt nieutwardzony', ...}`` for ``('pl', 'surface')``.
    """
    return {k.split(".", 1)[1]: v for k, v in TEXT[lang].items() if k.startswith(prefix + ".")}
