/**
 * The one 10-line order the micro-benches measure (thread hops, decoding and validation), so their
 * figures describe the same frame.
 */
export const SAMPLE_REF = 'NU/CFG1/S42/1709123456789-3f7a';

export const sampleLines = Array.from({ length: 10 }, (_, i) => ({
  uid: `line-${i + 1}`,
  productId: 100 + i,
  name: `Lomo saltado ${i + 1}`,
  qty: 1 + (i % 3),
  priceUnit: 12.5,
  discount: 0,
  taxIds: [1],
  priceSubtotal: 12.5 * (1 + (i % 3)),
  priceSubtotalIncl: 12.5 * (1 + (i % 3)) * 1.18,
  ...(i % 2 === 0 ? { note: 'sin cebolla' } : {}),
}));

export const sampleSnapshot = {
  posReference: SAMPLE_REF,
  tableId: 7,
  state: 'editing',
  kitchenStatus: 'sent',
  guestCount: 4,
  staffName: 'Ana',
  sessionId: 42,
  userId: 2,
  configId: 1,
  lines: sampleLines,
  payments: [],
  amountTotal: 100.3,
  amountTax: 15.3,
  amountPaid: 0,
  amountReturn: 0,
  createdAt: '2026-01-01T10:00:00.000Z',
};
