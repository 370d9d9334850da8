/**
 * The screen as a function of AppState: header (connection, outbox, terminal), floor plan, and
 * the open table's order with its lease, lock, kitchen status and actions. Every element a test or
 * a person needs to find carries a stable data-testid; the words on screen say what the state is.
 */
import type { ConnectionState } from '../client/types.js';
import type { KitchenStatus, OrderLine } from '../protocol/snapshot.js';
import type { CatalogTable } from '../protocol/catalog-table.js';
import { tableName, type Product } from './catalog.js';
import type { ConflictChoice } from './controller.js';
import { h } from './dom.js';
import { openOrdersOf, type AppState, type OrderEntry } from './state.js';

export interface ViewActions {
  openTable(tableId: number): void;
  leaveTable(): void;
  openOrder(posReference: string): void;
  newOrder(): void;
  retryLease(): void;
  addProduct(productId: number): void;
  changeQty(uid: string, delta: number): void;
  removeLine(uid: string): void;
  changeGuests(delta: number): void;
  setStaff(name: string): void;
  sendToKitchen(): void;
  pay(): void;
  finalize(): void;
  resolveConflict(choice: ConflictChoice): void;
  dismissNotice(): void;
}

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  online: 'online',
  reconnecting: 'reconnecting',
  hubOffline: 'hubOffline',
  offline: 'offline',
};

export function money(value: number): string {
  return value.toFixed(2);
}

export function renderApp(state: AppState, actions: ViewActions): HTMLElement {
  return h(
    'div',
    { class: 'app' },
    renderHeader(state),
    h('main', { class: state.selectedTableId === null ? 'layout floor-only' : 'layout' }, renderFloor(state, actions), state.selectedTableId === null ? null : renderTable(state, actions)),
    renderNotice(state, actions),
    renderConflict(state, actions),
  );
}

function renderHeader(state: AppState): HTMLElement {
  const me = state.terminalId === null ? 'not signed in' : `${state.terminalId}${state.role === null ? '' : ` (${state.role})`}`;
  return h(
    'header',
    { class: 'topbar' },
    h('h1', {}, 'pos-hub terminal'),
    h('span', { class: `conn conn-${state.connection}`, 'data-testid': 'conn-state', 'data-state': state.connection, title: 'Connection to the hub' }, CONNECTION_LABEL[state.connection]),
    h('span', { class: state.outboxCount > 0 ? 'outbox outbox-busy' : 'outbox', title: 'Writes queued until the hub confirms them' }, 'outbox ', h('b', { 'data-testid': 'outbox-count' }, state.outboxCount)),
    h('span', { class: state.hubLine.failingOver ? 'hub-line hub-failover' : 'hub-line', 'data-testid': 'hub-line', 'data-failover': String(state.hubLine.failingOver), title: 'The hub this terminal is on' }, state.hubLine.text),
    h('span', { class: 'me', 'data-testid': 'terminal-id' }, me),
    h('span', { class: 'catalog-source', 'data-testid': 'catalog-source', 'data-source': state.catalogSource, title: 'Where the product catalog came from' }, `catalog: ${state.catalogSource}`),
  );
}

function renderFloor(state: AppState, actions: ViewActions): HTMLElement {
  return h(
    'section',
    { class: 'floor', 'data-testid': 'floor' },
    state.catalog.floors.map((floor) =>
      h('div', { class: 'floor-block' }, h('h2', {}, floor.name), h('div', { class: 'tables' }, floor.tables.map((t) => renderTableTile(state, t, actions)))),
    ),
  );
}

function renderTableTile(state: AppState, table: CatalogTable, actions: ViewActions): HTMLElement {
  const orders = openOrdersOf(state, table.id);
  const hub = state.tables.get(table.id);
  const lockedBy = hub?.lockedBy ?? null;
  const occupied = orders.length > 0 || hub?.status === 'occupied';
  const status = occupied ? 'occupied' : 'free';
  const order = orders[0];
  const lockText = lockedBy === null ? null : lockedBy === state.terminalId ? 'locked by you' : `locked by ${lockedBy}`;
  return h(
    'button',
    {
      class: `table table-${status}${lockedBy === null ? '' : ' table-locked'}${state.selectedTableId === table.id ? ' table-selected' : ''} shape-${table.shape}`,
      'data-testid': `table-${table.id}`,
      'data-status': status,
      'data-locked-by': lockedBy ?? '',
      onclick: () => actions.openTable(table.id),
    },
    h('span', { class: 'table-name' }, table.name),
    h('span', { class: 'table-status' }, status),
    order === undefined ? null : h('span', { class: 'table-order' }, kitchenBadge(order.snapshot.kitchenStatus), ` ${money(order.snapshot.amountTotal)}`),
    lockText === null ? null : h('span', { class: 'table-lock' }, lockText),
  );
}

function renderTable(state: AppState, actions: ViewActions): HTMLElement {
  const tableId = state.selectedTableId!;
  const orders = openOrdersOf(state, tableId);
  const active = state.activePos === null ? undefined : state.orders.get(state.activePos);
  return h(
    'section',
    { class: 'order-panel', 'data-testid': 'order-panel', 'data-table': tableId },
    h(
      'div',
      { class: 'panel-head' },
      h('button', { class: 'btn back', 'data-testid': 'back', onclick: () => actions.leaveTable() }, '← Floor'),
      h('h2', {}, tableName(state.catalog, tableId)),
      renderLock(state),
    ),
    h(
      'div',
      { class: 'order-tabs' },
      orders.map((o, i) =>
        h('button', { class: o.posReference === state.activePos ? 'btn tab tab-active' : 'btn tab', 'data-testid': 'order-tab', 'data-pos': o.posReference, onclick: () => actions.openOrder(o.posReference) }, `Check ${i + 1}`),
      ),
      h('button', { class: 'btn tab', 'data-testid': 'new-order', onclick: () => actions.newOrder() }, '+ New check'),
    ),
    active === undefined ? h('p', { class: 'hint', 'data-testid': 'no-order' }, 'No open order on this table. Tap a product to start one.') : renderOrder(state, active, actions),
    renderProducts(state.catalog.products, actions, active?.snapshot.state === 'paid'),
  );
}

function renderLock(state: AppState): HTMLElement {
  const lock = state.lock;
  let text: string;
  switch (lock.status) {
    case 'none':
      text = 'table not locked';
      break;
    case 'pending':
      text = 'locking table…';
      break;
    case 'held':
      text = lock.offline ? 'table lock (offline)' : 'table locked by you';
      break;
    case 'denied':
      text = `table locked by ${lock.lockedBy}`;
      break;
    case 'revoked':
      text = `table lock revoked: ${lock.reason}`;
      break;
    default: {
      const never: never = lock;
      return never;
    }
  }
  return h('span', { class: `badge lock lock-${lock.status}`, 'data-testid': 'lock-state', 'data-state': lock.status }, text);
}

function renderLease(state: AppState, actions: ViewActions): HTMLElement {
  const lease = state.lease;
  switch (lease.status) {
    case 'none':
      return h('div', { class: 'lease lease-none', 'data-testid': 'lease-state', 'data-state': 'none' }, 'View only');
    case 'pending':
      return h('div', { class: 'lease lease-pending', 'data-testid': 'lease-state', 'data-state': 'pending' }, 'Requesting the lease…');
    case 'held':
      return h('div', { class: 'lease lease-held', 'data-testid': 'lease-state', 'data-state': 'held' }, lease.offline ? 'Editing (lease held offline; confirmed on reconnect)' : 'Editing: this terminal holds the lease');
    case 'denied':
      return h(
        'div',
        { class: 'lease lease-denied', 'data-testid': 'lease-state', 'data-state': 'denied' },
        h('strong', { 'data-testid': 'lease-denied' }, 'LEASE_DENIED'),
        h('span', {}, ` — terminal ${lease.holder} is editing this order (${lease.reason}). View only.`),
        h('button', { class: 'btn', 'data-testid': 'lease-retry', onclick: () => actions.retryLease() }, 'Try again'),
      );
    case 'revoked':
      return h(
        'div',
        { class: 'lease lease-denied', 'data-testid': 'lease-state', 'data-state': 'revoked' },
        h('strong', {}, 'LEASE_REVOKED'),
        h('span', {}, ` — ${lease.reason}. `),
        h('button', { class: 'btn', 'data-testid': 'lease-retry', onclick: () => actions.retryLease() }, 'Take it again'),
      );
    case 'error':
      return h(
        'div',
        { class: 'lease lease-denied', 'data-testid': 'lease-state', 'data-state': 'error' },
        h('span', {}, `Lease request failed: ${lease.reason} `),
        h('button', { class: 'btn', 'data-testid': 'lease-retry', onclick: () => actions.retryLease() }, 'Try again'),
      );
    default: {
      const never: never = lease;
      return never;
    }
  }
}

function kitchenBadge(status: KitchenStatus): HTMLElement {
  return h('span', { class: `badge kitchen kitchen-${status}` }, `kitchen: ${status}`);
}

function renderOrder(state: AppState, entry: OrderEntry, actions: ViewActions): HTMLElement {
  const order = entry.snapshot;
  const editable = state.lease.status === 'held' && order.state !== 'paid' && order.state !== 'finalized';
  const staffNames = state.catalog.staff;
  return h(
    'div',
    { class: 'order', 'data-testid': 'order', 'data-pos': entry.posReference, 'data-version': entry.version, 'data-state': order.state },
    // A closed check has no writer any more: its lease no longer matters.
    order.state === 'finalized'
      ? h('div', { class: 'lease lease-none', 'data-testid': 'lease-state', 'data-state': 'closed' }, 'Check closed: finalized in Odoo. Tap a product to start a new check.')
      : renderLease(state, actions),
    h(
      'div',
      { class: 'order-meta' },
      h('span', { class: 'ref', 'data-testid': 'order-ref' }, entry.posReference),
      h('span', { class: `badge state state-${order.state}`, 'data-testid': 'order-state' }, order.state),
      h('span', { 'data-testid': 'kitchen-status', 'data-status': order.kitchenStatus }, kitchenBadge(order.kitchenStatus)),
      entry.pendingMutation === null ? null : h('span', { class: 'badge pending', 'data-testid': 'unsynced' }, 'not yet confirmed by the hub'),
    ),
    h(
      'div',
      { class: 'meta-row' },
      h('span', {}, 'Guests '),
      h('button', { class: 'btn small', 'data-testid': 'guests-dec', disabled: !editable, onclick: () => actions.changeGuests(-1) }, '−'),
      h('b', { 'data-testid': 'guest-count' }, order.guestCount ?? 0),
      h('button', { class: 'btn small', 'data-testid': 'guests-inc', disabled: !editable, onclick: () => actions.changeGuests(1) }, '+'),
      h('span', { class: 'staff-label' }, 'Staff '),
      staffNames.map((name) =>
        h('button', { class: order.staffName === name ? 'btn small chip chip-on' : 'btn small chip', 'data-testid': 'staff', 'data-name': name, disabled: !editable, onclick: () => actions.setStaff(name) }, name),
      ),
      h('span', { 'data-testid': 'staff-name', class: 'staff-name' }, order.staffName ?? ''),
    ),
    h(
      'ul',
      { class: 'lines', 'data-testid': 'lines' },
      order.lines.length === 0 ? h('li', { class: 'hint' }, 'No items yet.') : order.lines.map((line) => renderLine(line, editable, actions)),
    ),
    h(
      'div',
      { class: 'totals' },
      h('span', {}, 'Tax ', h('b', {}, money(order.amountTax))),
      h('span', {}, 'Total ', h('b', { 'data-testid': 'order-total' }, money(order.amountTotal))),
      order.amountPaid > 0 ? h('span', {}, 'Paid ', h('b', { 'data-testid': 'order-paid' }, money(order.amountPaid))) : null,
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { class: 'btn primary', 'data-testid': 'send-kitchen', disabled: !editable || order.lines.length === 0 || (order.state === 'checkout' && order.kitchenStatus === 'sent'), onclick: () => actions.sendToKitchen() },
        order.kitchenStatus === 'changed' ? 'Send changes to kitchen' : 'Send to kitchen',
      ),
      h('button', { class: 'btn primary', 'data-testid': 'pay', disabled: !editable || order.state !== 'checkout', onclick: () => actions.pay() }, `Pay ${money(order.amountTotal)} (${state.catalog.payment.name})`),
      h('button', { class: 'btn primary', 'data-testid': 'finalize', disabled: state.lease.status !== 'held' || order.state !== 'paid' || state.finalize.status === 'pending', onclick: () => actions.finalize() }, 'Done: send to Odoo'),
    ),
    renderFinalize(state),
  );
}

function renderLine(line: OrderLine, editable: boolean, actions: ViewActions): HTMLElement {
  return h(
    'li',
    { class: 'line', 'data-testid': 'line', 'data-product-id': line.productId, 'data-qty': line.qty, 'data-uid': line.uid },
    h('span', { class: 'line-name' }, line.name ?? `#${line.productId}`),
    line.kitchenSentAt === undefined ? null : h('span', { class: 'badge sent-mark', title: `sent ${line.kitchenSentAt}` }, 'sent'),
    h('button', { class: 'btn small', 'data-testid': 'line-dec', disabled: !editable, onclick: () => actions.changeQty(line.uid, -1) }, '−'),
    h('b', { class: 'line-qty', 'data-testid': 'line-qty' }, line.qty),
    h('button', { class: 'btn small', 'data-testid': 'line-inc', disabled: !editable, onclick: () => actions.changeQty(line.uid, 1) }, '+'),
    h('span', { class: 'line-total' }, money(line.priceSubtotalIncl)),
    h('button', { class: 'btn small danger', 'data-testid': 'line-remove', disabled: !editable, onclick: () => actions.removeLine(line.uid) }, '✕'),
  );
}

function renderFinalize(state: AppState): HTMLElement | null {
  const f = state.finalize;
  switch (f.status) {
    case 'idle':
      return null;
    case 'pending':
      return h('p', { class: 'finalize', 'data-testid': 'finalize-state', 'data-state': 'pending' }, 'Sending to Odoo…');
    case 'queued':
      return h('p', { class: 'finalize', 'data-testid': 'finalize-state', 'data-state': 'queued' }, `Queued for Odoo${f.reason === undefined ? '' : ` (${f.reason})`}; the hub will confirm.`);
    case 'done':
      return h('p', { class: 'finalize finalize-done', 'data-testid': 'finalize-state', 'data-state': 'done' }, 'Finalized in Odoo: order id ', h('b', { 'data-testid': 'odoo-order-id' }, f.orderId));
    case 'error':
      return h('p', { class: 'finalize finalize-error', 'data-testid': 'finalize-state', 'data-state': 'error' }, `Odoo refused: ${f.error}${f.retryable ? ' (will retry)' : ''}`);
    default: {
      const never: never = f;
      return never;
    }
  }
}

function renderProducts(products: readonly Product[], actions: ViewActions, disabled: boolean): HTMLElement {
  const byCategory = new Map<string, Product[]>();
  for (const p of products) byCategory.set(p.category, [...(byCategory.get(p.category) ?? []), p]);
  return h(
    'div',
    { class: 'products', 'data-testid': 'products' },
    [...byCategory].map(([category, items]) =>
      h(
        'div',
        { class: 'category' },
        h('h3', {}, category),
        h(
          'div',
          { class: 'product-grid' },
          items.map((p) =>
            h('button', { class: 'btn product', 'data-testid': `product-${p.id}`, disabled, onclick: () => actions.addProduct(p.id) }, h('span', {}, p.name), h('small', {}, money(p.price))),
          ),
        ),
      ),
    ),
  );
}

function renderNotice(state: AppState, actions: ViewActions): HTMLElement | null {
  if (state.notice === null) return null;
  return h(
    'div',
    { class: 'notice', role: 'status', 'data-testid': 'notice', 'data-code': state.notice.code ?? '' },
    h('span', {}, state.notice.code === undefined ? state.notice.text : `${state.notice.code}: ${state.notice.text}`),
    h('button', { class: 'btn small', onclick: () => actions.dismissNotice() }, 'OK'),
  );
}

function renderConflict(state: AppState, actions: ViewActions): HTMLElement | null {
  const c = state.conflict;
  if (c === null) return null;
  const local = c.localSnapshot.lines.length;
  const hub = c.hubSnapshot?.lines.length ?? 0;
  return h(
    'div',
    { class: 'overlay' },
    h(
      'div',
      { class: 'dialog', role: 'dialog', 'data-testid': 'conflict-dialog', 'data-strategy': c.strategy },
      h('h2', {}, 'This order changed on the hub'),
      h('p', {}, `Order ${c.posReference}: the hub is at version ${c.hubVersion} (${hub} lines); your copy was based on version ${c.localBaseVersion} (${local} lines).`),
      h('p', {}, `Reconciliation chose "${c.strategy}". The screen shows that result now.`),
      c.droppedLocalLines.length === 0 ? null : h('p', { class: 'warn' }, `Not kept: ${c.droppedLocalLines.map((l) => `${l.qty}× ${l.name ?? l.productId}`).join(', ')} — ring them again if needed.`),
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'btn primary', 'data-testid': 'conflict-load-latest', onclick: () => actions.resolveConflict('load_latest') }, 'Load latest'),
        h('button', { class: 'btn', 'data-testid': 'conflict-keep-mine', onclick: () => actions.resolveConflict('keep_mine') }, 'Keep mine'),
      ),
    ),
  );
}
