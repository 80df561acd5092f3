import {
  fakeCardNumber,
  fakeIban,
  fakePhone,
  fakeSsn,
  pick,
  type Random,
  seededRandom,
} from './fake-values.js';

export interface DemoCustomer {
  name: string;
  email: string;
  phone: string;
  ssn: string;
  card_number: string;
  iban: string;
  created_at: string;
}

export interface DemoOrder {
  /** 1-based position of the customer in `customers`, i.e. its id in a fresh table. */
  customer_id: number;
  product: string;
  quantity: number;
  amount: string;
  status: string;
  created_at: string;
}

export interface DemoNote {
  customer_id: number;
  author: string;
  note: string;
  created_at: string;
}

export interface DemoData {
  customers: DemoCustomer[];
  orders: DemoOrder[];
  notes: DemoNote[];
}

const FIRST = (
  'Ada Bruno Chloe Dmitri Elena Farid Grace Hiro Ines Jonas Keiko Liam Maya ' +
  'Nadia Omar Priya Quentin Rosa Sven Tariq Uma Victor Wen Ximena Yusuf Zoe'
).split(' ');
const LAST = (
  'Almeida Brennan Castillo Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski ' +
  'Lindqvist Moreau Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Novak Varga Weber Yilmaz'
).split(' ');
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const PRODUCTS: ReadonlyArray<[string, number]> = [
  ['Standing desk', 499],
  ['Ergonomic chair', 329],
  ['USB-C dock', 189],
  ['27" monitor', 279],
  ['Mechanical keyboard', 129],
  ['Noise-cancelling headphones', 249],
  ['Webcam', 89],
  ['Desk lamp', 45],
];
const STATUSES = ['pending', 'paid', 'paid', 'shipped', 'shipped', 'delivered', 'refunded'];
const SUPPORT = ['support.alice@example.com', 'support.bob@example.com', 'ops@example.com'];

/** Days after 2025-01-01, as an ISO timestamp at a pseudo-random time of day. */
function timestamp(random: Random, maxDays: number): string {
  const base = Date.UTC(2025, 0, 1);
  const ms = Math.floor(random() * maxDays * 86_400_000);
  return new Date(base + ms).toISOString();
}

/** Free-text support notes: the kind of place personal data leaks into without a column name. */
const NOTE_TEMPLATES: ReadonlyArray<(c: DemoCustomer) => string> = [
  (c) => `Customer asked to send invoices to ${c.email} instead of the billing address.`,
  (c) => `Called from ${c.phone}; confirmed identity with the last four of the card.`,
  (c) =>
    `Refund requested. Customer read out the full card number ${c.card_number} on chat — purge this.`,
  (c) => `Payout account changed to ${c.iban} at the customer's request.`,
  (c) => `Escalated: customer wrote from ${c.email} about a missing delivery.`,
  (c) => `KYC check passed (SSN ${c.ssn} verified against the application).`,
  () => 'Customer prefers phone contact in the afternoon.',
];

/** The demo's sample data, identical on every run: 50 customers, 150 orders, 40 notes. */
export function demoData(seed = 20250101): DemoData {
  const random = seededRandom(seed);
  const customers: DemoCustomer[] = [];
  const seen = new Set<string>();
  while (customers.length < 50) {
    const first = pick(random, FIRST);
    const last = pick(random, LAST);
    const key = `${first}.${last}`;
    if (seen.has(key)) continue;
    seen.add(key);
    customers.push({
      name: `${first} ${last}`,
      email: `${key.toLowerCase()}@${pick(random, DOMAINS)}`,
      phone: fakePhone(random),
      ssn: fakeSsn(random),
      card_number: fakeCardNumber(random),
      iban: fakeIban(random),
      created_at: timestamp(random, 300),
    });
  }
  const orders: DemoOrder[] = [];
  for (let i = 0; i < 150; i++) {
    const [product, price] = pick(random, PRODUCTS);
    const quantity = 1 + Math.floor(random() * 3);
    orders.push({
      customer_id: 1 + Math.floor(random() * customers.length),
      product,
      quantity,
      amount: (price * quantity).toFixed(2),
      status: pick(random, STATUSES),
      created_at: timestamp(random, 330),
    });
  }
  const notes: DemoNote[] = [];
  for (let i = 0; i < 40; i++) {
    const customerId = 1 + Math.floor(random() * customers.length);
    notes.push({
      customer_id: customerId,
      author: pick(random, SUPPORT),
      note: pick(random, NOTE_TEMPLATES)(customers[customerId - 1]!),
      created_at: timestamp(random, 330),
    });
  }
  return { customers, orders, notes };
}
