"""Name pools for synthetic records.

Missouri's caseloads are diverse — long-settled German, Irish and Scots-Irish families, Black
families of St. Louis and Kansas City, Mexican and Central American families in the southwest
poultry towns, Vietnamese and Hmong families, the Bosnian community of south St. Louis, Somali
and Afghan newcomers. A generator that only makes "John Smith" would hide bugs in name
normalization (accents, apostrophes, hyphens), so the pools carry them on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class NameGroup:
    key: str
    #: Share of synthetic households drawing names from this group.
    weight: float
    first: tuple[str, ...]
    last: tuple[str, ...]
    #: Relative chance that a member is not a citizen, scaled by `_status_weights`.
    noncitizen_factor: float


def _split(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


GROUPS: tuple[NameGroup, ...] = (
    NameGroup(
        key="anglo_european",
        weight=0.66,
        noncitizen_factor=0.05,
        first=_split(
            "James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles, "
            "Christopher, Daniel, Matthew, Anthony, Mark, Steven, Paul, Andrew, Joshua, Kenneth, "
            "Kevin, Brian, Timothy, Ronald, Jason, Jeffrey, Ryan, Jacob, Gary, Nicholas, Eric, "
            "Jonathan, Justin, Scott, Brandon, Benjamin, Samuel, Gregory, Dustin, Cody, Travis, "
            "Wyatt, Colton, Hunter, Logan, Mason, Caleb, Dale, Wayne, Earl, "
            "Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, "
            "Lisa, Nancy, Betty, Sandra, Margaret, Ashley, Kimberly, Emily, Donna, Michelle, "
            "Carol, Amanda, Melissa, Deborah, Stephanie, Rebecca, Laura, Cynthia, Amy, Angela, "
            "Brittany, Heather, Crystal, Tiffany, Amber, Misty, Brandy, Kayla, Madison, Emma, "
            "Olivia, Ava, Harper, Abigail, Chloe, Zoey, Brooklyn, Kaylee, Anne-Marie, Mary-Kate"
        ),
        last=_split(
            "Smith, Johnson, Miller, Brown, Davis, Wilson, Anderson, Taylor, Thomas, Moore, "
            "Martin, Thompson, White, Clark, Lewis, Walker, Young, Allen, King, Wright, Scott, "
            "Hill, Green, Adams, Baker, Nelson, Carter, Mitchell, Roberts, Turner, Phillips, "
            "Campbell, Parker, Evans, Edwards, Collins, Stewart, Morris, Murphy, Cook, Rogers, "
            "Morgan, Cooper, Peterson, Reed, Bailey, Bell, Kelly, Howard, Cox, Ward, Wood, "
            "Watson, Gray, Hughes, Price, Sanders, Bennett, Schmidt, Schneider, Meyer, Wagner, "
            "Becker, Hoffmann, Koch, Richter, Weber, Fischer, Schulte, Bruns, Vogel, Kowalski, "
            "Nowak, O'Brien, O'Connor, O'Neal, McDonald, McCarthy, MacLeod, Sullivan, Fitzgerald, "
            "Lafferty, Duvall, Boudreau, LeClair, Thibodeaux, Van Dyke, Vanderpool, Hatfield, "
            "McCoy, Yoder, Stoltzfus, Cline, Pruitt, Stout, Dudley, Gentry, Hollis, Blevins"
        ),
    ),
    NameGroup(
        key="african_american",
        weight=0.19,
        noncitizen_factor=0.04,
        first=_split(
            "DeShawn, Darnell, Tyrone, Jamal, Terrell, Marcus, Andre, Reginald, Cedric, Darius, "
            "Demetrius, Jerome, Malik, Xavier, Isaiah, Elijah, Jaylen, Tremaine, Kendrick, Rashad, "
            "Willie, Curtis, Lamar, Maurice, Derrick, "
            "Latoya, Keisha, Tamika, Ebony, Shaniqua, Aaliyah, Imani, Jasmine, Tanisha, Monique, "
            "Yolanda, Denise, Gwendolyn, Shanice, Destiny, Nia, Kiara, Janae, Precious, Dominique, "
            "LaShonda, Ja'Nya, Zaria, Amara, Brianna"
        ),
        last=_split(
            "Washington, Jefferson, Jackson, Williams, Johnson, Brown, Jones, Davis, Harris, "
            "Robinson, Thomas, Banks, Booker, Mosley, Gaines, Freeman, Coleman, Bryant, Simmons, "
            "Hayes, Dorsey, Wiggins, Battle, Whitfield, Gordon, Tolliver, Pettiford, Mayweather, "
            "Childress, Franklin, Holloway, Ellison, Goins, Rucker, Spears, Toussaint, St. Clair, "
            "Merriweather, Hollins, Bland"
        ),
    ),
    NameGroup(
        key="hispanic",
        weight=0.08,
        noncitizen_factor=1.0,
        first=_split(
            "José, Juan, Luis, Carlos, Jesús, Miguel, Francisco, Alejandro, Javier, Andrés, "
            "Ángel, Diego, Santiago, Mateo, Rubén, Óscar, Raúl, Efraín, Héctor, Joaquín, "
            "María, Guadalupe, Sofía, Valentina, Camila, Lucía, Ximena, Daniela, Mariana, Rocío, "
            "Yesenia, Araceli, Inés, Begoña, Dulce, Itzel, Noemí, Mónica, Verónica, Ana Lucía, "
            "María José, Juan Carlos"
        ),
        last=_split(
            "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, "
            "Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez, "
            "Ramos, Ruiz, Álvarez, Mendoza, Castillo, Jiménez, Vásquez, Moreno, Romero, Herrera, "
            "Medina, Aguilar, Vargas, Guzmán, Muñoz, Peña, Castañeda, Ibarra, Núñez, Domínguez, "
            "De la Cruz, García-López, Hernández Ruiz"
        ),
    ),
    NameGroup(
        key="asian",
        weight=0.035,
        noncitizen_factor=0.8,
        first=_split(
            "Minh, Tuan, Huy, Quang, Bao, Duc, Thanh, Long, Wei, Jun, Hao, Jin-ho, Min-jun, "
            "Seo-yeon, Ji-woo, Arjun, Rahul, Vikram, Priya, Ananya, Deepa, Kavita, Pa Nhia, "
            "Mai, Linh, Thuy, Ngoc, Lan, Xia, Mei, Yuki, Haruto, Kenji, Ma. Cristina, Jose Mari, "
            "Rosalinda, Nguyet, Phuong"
        ),
        last=_split(
            "Nguyen, Tran, Le, Pham, Huynh, Vo, Dang, Bui, Kim, Lee, Park, Choi, Chen, Wang, Li, "
            "Zhang, Liu, Yang, Huang, Patel, Shah, Singh, Kumar, Reddy, Vang, Xiong, Lor, Thao, "
            "Her, Santos, Bautista, dela Cruz, Tanaka, Sato"
        ),
    ),
    NameGroup(
        key="other",
        weight=0.035,
        noncitizen_factor=1.2,
        first=_split(
            "Amir, Edin, Emir, Haris, Mirza, Senad, Adnan, Tarik, Mohamed, Abdirahman, Hassan, "
            "Yusuf, Ahmad, Farid, Omar, Taras, Oleksandr, Dmytro, "
            "Amra, Lejla, Selma, Aida, Emina, Ayaan, Fadumo, Hodan, Fatima, Mariam, Zainab, "
            "Nadia, Olena, Oksana, Kateryna, Aigerim, Nizhoni, Kaya"
        ),
        last=_split(
            "Hodžić, Mehmedović, Begić, Kovačević, Hadžić, Delić, Ahmed, Hassan, Mohamed, Ali, "
            "Abdi, Warsame, Osman, Ibrahim, Yusuf, Haji, Noori, Popal, Rahimi, Karimi, Haddad, "
            "Nasser, Khalil, Shevchenko, Kovalenko, Bondarenko, Tkachenko, Begay, Yazzie, "
            "Tsosie, Horse Capture"
        ),
    ),
)

STREETS: tuple[str, ...] = _split(
    "Main, Oak, Maple, Elm, Cedar, Pine, Walnut, Hickory, Locust, Chestnut, Washington, "
    "Jefferson, Lincoln, Madison, Grand, Broadway, Market, Olive, Delmar, Gravois, Cherokee, "
    "Chippewa, Kingshighway, Natural Bridge, Troost, Prospect, Independence, Truman, "
    "Glenstone, Kearney, Sunshine, Commercial, Range Line, Missouri, Mississippi, Osage, Ozark, "
    "Church, College, Mill, Spring, Water, Highland, Ridge, Meadow, Valley View, Lakeview, "
    "Country Club, Old Highway 66, Route B, County Road 210, Sugar Creek, Bluff, Riverview"
)
STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Pl")

#: Fictional employers; any likeness to a real business is accidental.
EMPLOYERS: tuple[str, ...] = _split(
    "Show-Me Staffing LLC, Gateway Logistics Co, Ozark Valley Poultry, Riverbend Home Health, "
    "Mid-Rivers Grocery, Big Muddy Diner, Heartland Hospital Services, Prairie Star Trucking, "
    "Confluence Cleaning Co, Katy Trail Landscaping, Bootheel Cotton Gin, Lake Country Resorts, "
    "Arch City Call Center, Three Rivers Warehousing, Little Dixie Nursing Home, "
    "Table Rock Marina, Frontier Fast Food Inc, Sunrise Child Care Center, Blue River Packing, "
    "Cardinal Security Services, Lumière Hotel Group, Señor Taco Kitchens, Hilltop Dollar Store, "
    "Crossroads Auto Parts, Osage Hardwoods Mill, North Star Distribution, Meramec Plastics, "
    "Golden Prairie School District, Pioneer Temp Agency, Monarch Meals on Wheels"
)
