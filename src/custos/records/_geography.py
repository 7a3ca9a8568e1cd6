"""Missouri's 114 counties and the independent City of St. Louis.

Populations are the 2020 census counts, rounded; the generator uses them only as weights so that
synthetic households fall where people live. ZIP prefixes are the three-digit sectional centers
that serve each county, so generated ZIP codes look like Missouri's (630xx–658xx) without
claiming to be a real delivery address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class County:
    name: str
    fips: str
    population: int
    #: Cities addresses are placed in; the first is the county seat (or the largest city).
    cities: tuple[str, ...]
    zip3: str
    area_code: str


def _c(  # noqa: PLR0917 - one row of the table below reads best positionally
    fips: int, name: str, population: int, cities: str, zip3: int, area: int
) -> County:
    return County(
        name=name,
        fips=f"{fips:03d}",
        population=population,
        cities=tuple(cities.split("|")),
        zip3=str(zip3),
        area_code=str(area),
    )


COUNTIES: tuple[County, ...] = (
    _c(1, "Adair", 25_300, "Kirksville", 635, 660),
    _c(3, "Andrew", 18_100, "Savannah", 644, 816),
    _c(5, "Atchison", 5_300, "Rock Port|Tarkio", 644, 660),
    _c(7, "Audrain", 25_000, "Mexico|Vandalia", 652, 573),
    _c(9, "Barry", 34_500, "Cassville|Monett", 656, 417),
    _c(11, "Barton", 11_600, "Lamar", 647, 417),
    _c(13, "Bates", 16_000, "Butler", 647, 660),
    _c(15, "Benton", 19_400, "Warsaw|Lincoln", 653, 660),
    _c(17, "Bollinger", 10_600, "Marble Hill", 637, 573),
    _c(19, "Boone", 183_600, "Columbia|Ashland|Centralia", 652, 573),
    _c(21, "Buchanan", 84_800, "St. Joseph", 645, 816),
    _c(23, "Butler", 42_100, "Poplar Bluff", 639, 573),
    _c(25, "Caldwell", 8_800, "Kingston|Hamilton", 646, 816),
    _c(27, "Callaway", 44_300, "Fulton", 652, 573),
    _c(29, "Camden", 42_700, "Camdenton|Osage Beach", 650, 573),
    _c(31, "Cape Girardeau", 81_700, "Jackson|Cape Girardeau", 637, 573),
    _c(33, "Carroll", 8_500, "Carrollton", 646, 660),
    _c(35, "Carter", 5_200, "Van Buren", 639, 573),
    _c(37, "Cass", 107_800, "Harrisonville|Belton|Raymore", 647, 816),
    _c(39, "Cedar", 14_200, "Stockton|El Dorado Springs", 656, 417),
    _c(41, "Chariton", 7_400, "Keytesville|Salisbury", 652, 660),
    _c(43, "Christian", 88_800, "Ozark|Nixa", 657, 417),
    _c(45, "Clark", 6_600, "Kahoka", 634, 660),
    _c(47, "Clay", 253_300, "Liberty|Kansas City|Gladstone", 640, 816),
    _c(49, "Clinton", 21_200, "Plattsburg|Cameron", 644, 816),
    _c(51, "Cole", 77_300, "Jefferson City", 651, 573),
    _c(53, "Cooper", 17_100, "Boonville", 652, 660),
    _c(55, "Crawford", 22_100, "Steelville|Cuba", 654, 573),
    _c(57, "Dade", 7_600, "Greenfield", 656, 417),
    _c(59, "Dallas", 17_100, "Buffalo", 656, 417),
    _c(61, "Daviess", 8_400, "Gallatin", 646, 660),
    _c(63, "DeKalb", 11_000, "Maysville", 644, 816),
    _c(65, "Dent", 14_400, "Salem", 655, 573),
    _c(67, "Douglas", 11_600, "Ava", 657, 417),
    _c(69, "Dunklin", 28_300, "Kennett|Malden", 638, 573),
    _c(71, "Franklin", 104_700, "Union|Washington|Pacific", 630, 636),
    _c(73, "Gasconade", 14_800, "Hermann|Owensville", 650, 573),
    _c(75, "Gentry", 6_200, "Albany", 644, 660),
    _c(77, "Greene", 298_900, "Springfield|Republic|Willard", 658, 417),
    _c(79, "Grundy", 9_800, "Trenton", 646, 660),
    _c(81, "Harrison", 8_200, "Bethany", 644, 660),
    _c(83, "Henry", 22_100, "Clinton", 647, 660),
    _c(85, "Hickory", 8_300, "Hermitage", 656, 417),
    _c(87, "Holt", 4_200, "Oregon|Mound City", 644, 660),
    _c(89, "Howard", 10_200, "Fayette", 652, 660),
    _c(91, "Howell", 39_800, "West Plains|Willow Springs", 657, 417),
    _c(93, "Iron", 9_500, "Ironton", 636, 573),
    _c(95, "Jackson", 717_200, "Kansas City|Independence|Lee's Summit|Blue Springs", 641, 816),
    _c(97, "Jasper", 122_800, "Carthage|Joplin|Webb City", 648, 417),
    _c(99, "Jefferson", 226_700, "Hillsboro|Arnold|Festus", 630, 636),
    _c(101, "Johnson", 54_000, "Warrensburg", 640, 660),
    _c(103, "Knox", 3_700, "Edina", 635, 660),
    _c(105, "Laclede", 36_000, "Lebanon", 654, 417),
    _c(107, "Lafayette", 33_000, "Lexington|Odessa", 640, 660),
    _c(109, "Lawrence", 38_000, "Mount Vernon|Aurora", 656, 417),
    _c(111, "Lewis", 10_000, "Monticello|Canton", 634, 573),
    _c(113, "Lincoln", 59_600, "Troy", 633, 636),
    _c(115, "Linn", 11_900, "Linneus|Brookfield", 646, 660),
    _c(117, "Livingston", 14_600, "Chillicothe", 646, 660),
    _c(119, "McDonald", 23_300, "Pineville|Anderson", 648, 417),
    _c(121, "Macon", 15_200, "Macon", 635, 660),
    _c(123, "Madison", 12_600, "Fredericktown", 636, 573),
    _c(125, "Maries", 8_400, "Vienna", 654, 573),
    _c(127, "Marion", 28_500, "Palmyra|Hannibal", 634, 573),
    _c(129, "Mercer", 3_500, "Princeton", 646, 660),
    _c(131, "Miller", 24_700, "Tuscumbia|Eldon", 650, 573),
    _c(133, "Mississippi", 12_600, "Charleston", 638, 573),
    _c(135, "Moniteau", 15_500, "California", 650, 573),
    _c(137, "Monroe", 8_700, "Paris", 652, 660),
    _c(139, "Montgomery", 11_300, "Montgomery City", 633, 573),
    _c(141, "Morgan", 21_000, "Versailles", 650, 573),
    _c(143, "New Madrid", 16_400, "New Madrid|Portageville", 638, 573),
    _c(145, "Newton", 58_600, "Neosho", 648, 417),
    _c(147, "Nodaway", 21_200, "Maryville", 644, 660),
    _c(149, "Oregon", 8_600, "Alton|Thayer", 656, 417),
    _c(151, "Osage", 13_300, "Linn", 650, 573),
    _c(153, "Ozark", 8_600, "Gainesville", 656, 417),
    _c(155, "Pemiscot", 15_700, "Caruthersville|Hayti", 638, 573),
    _c(157, "Perry", 19_000, "Perryville", 637, 573),
    _c(159, "Pettis", 43_000, "Sedalia", 653, 660),
    _c(161, "Phelps", 44_600, "Rolla|St. James", 654, 573),
    _c(163, "Pike", 17_600, "Bowling Green|Louisiana", 633, 573),
    _c(165, "Platte", 106_700, "Platte City|Parkville|Kansas City", 640, 816),
    _c(167, "Polk", 31_500, "Bolivar", 656, 417),
    _c(169, "Pulaski", 54_000, "Waynesville|St. Robert", 654, 573),
    _c(171, "Putnam", 4_700, "Unionville", 635, 660),
    _c(173, "Ralls", 10_400, "New London", 634, 573),
    _c(175, "Randolph", 24_700, "Huntsville|Moberly", 652, 660),
    _c(177, "Ray", 23_200, "Richmond", 640, 816),
    _c(179, "Reynolds", 6_100, "Centerville", 636, 573),
    _c(181, "Ripley", 10_700, "Doniphan", 639, 573),
    _c(183, "St. Charles", 405_300, "St. Charles|O'Fallon|St. Peters|Wentzville", 633, 636),
    _c(185, "St. Clair", 9_300, "Osceola|Appleton City", 647, 417),
    _c(186, "Ste. Genevieve", 18_500, "Ste. Genevieve", 636, 573),
    _c(187, "St. Francois", 66_900, "Farmington|Park Hills|Bonne Terre", 636, 573),
    _c(
        189,
        "St. Louis County",
        1_004_100,
        "Clayton|Florissant|Ferguson|Kirkwood|Hazelwood",
        631,
        314,
    ),
    _c(195, "Saline", 23_300, "Marshall", 653, 660),
    _c(197, "Schuyler", 4_000, "Lancaster", 635, 660),
    _c(199, "Scotland", 4_700, "Memphis", 635, 660),
    _c(201, "Scott", 38_100, "Benton|Sikeston", 638, 573),
    _c(203, "Shannon", 7_000, "Eminence|Winona", 654, 573),
    _c(205, "Shelby", 6_000, "Shelbyville|Shelbina", 634, 573),
    _c(207, "Stoddard", 28_700, "Bloomfield|Dexter", 638, 573),
    _c(209, "Stone", 31_100, "Galena|Kimberling City", 656, 417),
    _c(211, "Sullivan", 6_000, "Milan", 635, 660),
    _c(213, "Taney", 56_100, "Forsyth|Branson", 656, 417),
    _c(215, "Texas", 24_500, "Houston|Licking", 654, 417),
    _c(217, "Vernon", 19_700, "Nevada", 647, 417),
    _c(219, "Warren", 35_500, "Warrenton", 633, 636),
    _c(221, "Washington", 23_500, "Potosi", 636, 573),
    _c(223, "Wayne", 10_800, "Greenville|Piedmont", 639, 573),
    _c(225, "Webster", 39_100, "Marshfield", 657, 417),
    _c(227, "Worth", 2_000, "Grant City", 644, 660),
    _c(229, "Wright", 18_200, "Hartville|Mountain Grove", 657, 417),
    _c(510, "St. Louis City", 301_600, "St. Louis", 631, 314),
)

COUNTY_NAMES: frozenset[str] = frozenset(c.name for c in COUNTIES)

_BY_KEY: dict[str, str] = {}


def _key(text: str) -> str:
    text = text.strip().casefold()
    text = re.sub(r"[.']", "", text)
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"\bsainte\b", "ste", text)
    text = re.sub(r"\s+", " ", text)
    return text.replace("de kalb", "dekalb")


for _county in COUNTIES:
    _BY_KEY[_key(_county.name)] = _county.name
    if not _county.name.startswith("St. Louis"):
        _BY_KEY[_key(_county.name + " County")] = _county.name
_BY_KEY[_key("City of St. Louis")] = "St. Louis City"


def canonical_county(name: str) -> str | None:
    """The stored spelling of a county, or None when it is not a Missouri county.

    Accepts the usual variants ("Saint Charles", "st charles county", "De Kalb"). "St. Louis"
    alone is refused: the county and the independent city are different places, and a bulk
    criterion must not silently pick one.
    """
    return _BY_KEY.get(_key(name))
