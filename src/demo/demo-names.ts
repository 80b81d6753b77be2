import type { INDUSTRIES } from '../shared/picklists.js';

/**
 * Word lists the demo organisation is built from. People are random first + last name pairs and
 * companies are invented word pairs, so no record describes a real person or firm.
 */

export const FIRST_NAMES = [
  'Aaliyah', 'Adrian', 'Aiko', 'Alicia', 'Amara', 'Andre', 'Anika', 'Arjun', 'Beatriz', 'Bennett',
  'Camila', 'Carter', 'Chioma', 'Daniela', 'Declan', 'Elena', 'Elliot', 'Emeka', 'Farah', 'Felix',
  'Gabriel', 'Grace', 'Hana', 'Hugo', 'Imani', 'Isaac', 'Jasmine', 'Javier', 'Keiko', 'Kofi',
  'Laila', 'Leon', 'Lucia', 'Malik', 'Marta', 'Mateo', 'Nadia', 'Nathan', 'Noor', 'Oliver',
  'Olivia', 'Omar', 'Priya', 'Quinn', 'Rafael', 'Rosa', 'Samir', 'Sara', 'Sebastian', 'Sofia',
  'Tariq', 'Tessa', 'Theo', 'Valentina', 'Victor', 'Wen', 'Xavier', 'Yara', 'Yusuf', 'Zoe',
] as const;

export const LAST_NAMES = [
  'Abernathy', 'Adeyemi', 'Alvarez', 'Bakshi', 'Bergstrom', 'Castellano', 'Chen', 'Dalton', 'Dimitrov', 'Eriksen',
  'Fairbanks', 'Ferreira', 'Galloway', 'Haddad', 'Hollis', 'Ibarra', 'Iwata', 'Jankowski', 'Kaplan', 'Kowalczyk',
  'Lindgren', 'Llewellyn', 'Marchetti', 'Mbeki', 'Novak', 'Nakamura', 'Oduya', 'Okonkwo', 'Pemberton', 'Quintero',
  'Rasmussen', 'Rinaldi', 'Sandoval', 'Sato', 'Thorne', 'Trujillo', 'Underwood', 'Vasquez', 'Valdez', 'Whitfield',
  'Winslow', 'Yamamoto', 'Yilmaz', 'Zamora', 'Zielinski', 'Ashby', 'Brennan', 'Calloway', 'Delacroix', 'Everly',
] as const;

type Industry = (typeof INDUSTRIES)[number];

export const COMPANY_WORDS = [
  'Amberline', 'Bluefin', 'Brightwave', 'Cedarpoint', 'Clearbrook', 'Copperleaf', 'Crestview', 'Driftwood', 'Everlight', 'Fernhill',
  'Foxglove', 'Goldcrest', 'Granitewood', 'Harborview', 'Hollowbrook', 'Ironbridge', 'Juniper', 'Kestrel', 'Lakeshore', 'Lumenfield',
  'Maplecroft', 'Meridian', 'Moonstone', 'Northpeak', 'Oakhaven', 'Orchardia', 'Pinecrest', 'Quillon', 'Redmarsh', 'Riverstone',
  'Sablewood', 'Silverfern', 'Starling', 'Stonegate', 'Sunridge', 'Tidewater', 'Trailhead', 'Umberfield', 'Valecrest', 'Westbrook',
  'Whitlock', 'Willowmere', 'Windward', 'Yarrow', 'Zephyrine',
] as const;

/** The second word of a company name, and the industry such a company is in. */
export const COMPANY_KINDS: ReadonlyArray<readonly [string, Industry]> = [
  ['Analytics', 'Technology'],
  ['Software', 'Software'],
  ['Systems', 'Technology'],
  ['Logistics', 'Transportation'],
  ['Freight', 'Transportation'],
  ['Health', 'Healthcare'],
  ['Clinics', 'Healthcare'],
  ['Foods', 'Retail'],
  ['Outfitters', 'Retail'],
  ['Manufacturing', 'Manufacturing'],
  ['Industries', 'Manufacturing'],
  ['Consulting', 'Consulting'],
  ['Advisors', 'Consulting'],
  ['Energy', 'Energy'],
  ['Solar', 'Energy'],
  ['Capital', 'Financial Services'],
  ['Bank', 'Banking'],
  ['Insurance', 'Insurance'],
  ['Media', 'Media'],
  ['Studios', 'Advertising'],
  ['Builders', 'Construction'],
  ['Properties', 'Real Estate'],
  ['Telecom', 'Telecommunications'],
  ['Hotels', 'Hospitality'],
  ['Academy', 'Education'],
  ['Engineering', 'Engineering'],
  ['Farms', 'Agriculture'],
  ['Legal', 'Legal'],
  ['Foundation', 'Non-Profit'],
];

export interface City {
  readonly city: string;
  readonly state: string;
  readonly country: string;
  readonly postalCode: string;
  /** E.164 prefix of the range set aside for fiction (555-01xx in North America, Ofcom's drama ranges in the UK). */
  readonly phonePrefix: string;
}

export const CITIES: readonly City[] = [
  { city: 'San Francisco', state: 'CA', country: 'United States', postalCode: '94107', phonePrefix: '+1415555' },
  { city: 'New York', state: 'NY', country: 'United States', postalCode: '10013', phonePrefix: '+1212555' },
  { city: 'Chicago', state: 'IL', country: 'United States', postalCode: '60606', phonePrefix: '+1312555' },
  { city: 'Austin', state: 'TX', country: 'United States', postalCode: '78701', phonePrefix: '+1512555' },
  { city: 'Boston', state: 'MA', country: 'United States', postalCode: '02110', phonePrefix: '+1617555' },
  { city: 'Seattle', state: 'WA', country: 'United States', postalCode: '98101', phonePrefix: '+1206555' },
  { city: 'Denver', state: 'CO', country: 'United States', postalCode: '80202', phonePrefix: '+1303555' },
  { city: 'Atlanta', state: 'GA', country: 'United States', postalCode: '30303', phonePrefix: '+1404555' },
  { city: 'Houston', state: 'TX', country: 'United States', postalCode: '77002', phonePrefix: '+1713555' },
  { city: 'Miami', state: 'FL', country: 'United States', postalCode: '33131', phonePrefix: '+1305555' },
  { city: 'Minneapolis', state: 'MN', country: 'United States', postalCode: '55402', phonePrefix: '+1612555' },
  { city: 'Raleigh', state: 'NC', country: 'United States', postalCode: '27601', phonePrefix: '+1919555' },
  { city: 'Toronto', state: 'ON', country: 'Canada', postalCode: 'M5V 2T6', phonePrefix: '+1416555' },
  { city: 'Vancouver', state: 'BC', country: 'Canada', postalCode: 'V6B 1A1', phonePrefix: '+1604555' },
  { city: 'London', state: 'England', country: 'United Kingdom', postalCode: 'EC2A 4NE', phonePrefix: '+44207946' },
  { city: 'Manchester', state: 'England', country: 'United Kingdom', postalCode: 'M1 1AE', phonePrefix: '+44161496' },
];

export const STREETS = ['Market St', 'Harbor Blvd', 'Maple Ave', 'Commerce Way', 'Industrial Pkwy', 'Oak St', 'Riverside Dr', 'King St', 'Station Rd', 'Elm Ct'] as const;

export const TITLES = [
  'Chief Executive Officer', 'Chief Financial Officer', 'Chief Technology Officer', 'VP of Sales', 'VP of Marketing',
  'Head of Operations', 'Procurement Manager', 'IT Director', 'Operations Manager', 'Marketing Manager',
  'Purchasing Lead', 'Finance Director', 'Product Manager', 'Office Manager', 'Engineering Manager',
] as const;

export const DEPARTMENTS = ['Sales', 'Marketing', 'Finance', 'Operations', 'IT', 'Procurement', 'Executive', 'Engineering', 'Human Resources'] as const;

export const TAGS = ['VIP', 'Webinar 2026', 'Trade show', 'Upsell', 'Key account', 'Needs follow-up', 'Partner referral'] as const;

export const PRODUCTS = [
  'Annual Subscription', 'Platform Upgrade', 'Enterprise License', 'Onboarding Package', 'Pilot Project',
  'Expansion Seats', 'Data Migration', 'Consulting Retainer', 'Hardware Refresh', 'Support Plan',
] as const;

export const NEXT_STEPS = [
  'Schedule product demo', 'Send revised proposal', 'Follow up with procurement', 'Confirm budget owner',
  'Book technical review', 'Get legal sign-off', 'Share reference customers', 'Agree on rollout plan',
] as const;

export const TASK_SUBJECTS = [
  'Send proposal', 'Prepare quote', 'Follow up on pricing question', 'Update contract draft', 'Share case study',
  'Check in after trial', 'Send onboarding checklist', 'Confirm decision timeline', 'Review security questionnaire',
] as const;

export const CALL_SUBJECTS = ['Discovery call', 'Follow-up call', 'Pricing discussion', 'Check-in call', 'Introductory call', 'Reference call'] as const;

export const MEETING_SUBJECTS = ['Product demo', 'Quarterly business review', 'Kick-off meeting', 'Contract negotiation', 'On-site visit', 'Executive briefing'] as const;

export const MEETING_PLACES = ['Video call', 'Client office', 'Zylker HQ, Room 3', 'Conference centre', 'Phone bridge'] as const;

export const NOTE_BODIES = [
  'Budget approved for this quarter; they want to start before the end of the month.',
  'Prefers email over phone. Decision is made by a committee of three.',
  'Currently using spreadsheets and a legacy tool; main pain is reporting.',
  'Asked for a discount on a two-year commitment. Checking with finance.',
  'Competitor is also in the evaluation; our integration story is the differentiator.',
  'Security review passed. Waiting on legal for the data processing agreement.',
  'Met at the trade show booth; interested in the mobile app.',
  'Champion is moving teams next month; need a new sponsor.',
  'Very happy with onboarding. Potential reference customer.',
  'Requested a follow-up demo for the operations team.',
] as const;

export const NOTE_TITLES = ['Call summary', 'Meeting notes', 'Next steps', 'Pricing', 'Background', null] as const;

export const ACCOUNT_DESCRIPTIONS = [
  'Long-standing customer with several business units.',
  'Fast-growing company expanding into new regions.',
  'Evaluating us as part of a digital transformation programme.',
  'Regional leader in its segment.',
  null,
] as const;

/** The demo team besides the administrator; they sign in with the demo password too. */
export const DEMO_TEAM = [
  { name: 'Maya Lindqvist', email: 'maya.lindqvist@demo.pulse.local', role: 'MANAGER' },
  { name: 'Tomas Reyes', email: 'tomas.reyes@demo.pulse.local', role: 'SALES_REP' },
  { name: 'Hannah Okafor', email: 'hannah.okafor@demo.pulse.local', role: 'SALES_REP' },
  { name: 'Ravi Desai', email: 'ravi.desai@demo.pulse.local', role: 'SALES_REP' },
] as const;

/** The second pipeline, so the board and reports have more than one to choose from. */
export const RENEWAL_STAGES: ReadonlyArray<{ name: string; probability: number; kind: 'OPEN' | 'WON' | 'LOST' }> = [
  { name: 'Renewal Due', probability: 20, kind: 'OPEN' },
  { name: 'Customer Contacted', probability: 40, kind: 'OPEN' },
  { name: 'Quote Sent', probability: 65, kind: 'OPEN' },
  { name: 'Verbal Commitment', probability: 85, kind: 'OPEN' },
  { name: 'Renewed', probability: 100, kind: 'WON' },
  { name: 'Churned', probability: 0, kind: 'LOST' },
];
