/**
 * One create_from_ui builder for the hub gateway and the SDK's direct mode (issue 17 item 7): the same
 * snapshot gives the same Odoo order whichever of them sends it; direct mode only adds the POS config's
 * pricelist where the snapshot has none. The builder is browser-safe (src/domain, checked by lint).
 */
import { describe, expect, it } from 'vitest';
import { toCreateFromUiOrder } from '../../../src/client/odoo-order-payload.js';
import { buildHubFinalizePayload, buildUiOrder } from '../../../src/domain/odoo-order.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';

describe('the shared create_from_ui builder', () => {
  it('gives direct mode exactly the order the gateway sends', () => {
    const snapshot = { ...paidSnapshot('NU/CFG1/S42/1764000000000-00aa'), pricelistId: 3 };
    const direct = toCreateFromUiOrder(snapshot, { pricelistId: 9 });
    expect(direct).toEqual(buildUiOrder(snapshot, snapshot.posReference));
    expect(
      buildHubFinalizePayload({ posReference: snapshot.posReference, configId: 1, terminalId: 't', snapshot }).order,
    ).toEqual(direct);
    expect(direct.data).toMatchObject({ name: snapshot.posReference, pricelist_id: 3, uid: '1764000000000-00aa' });
  });

  it("uses the sender's pricelist only when the snapshot has none", () => {
    const snapshot = paidSnapshot('NU/CFG1/S42/1764000000000-00ab');
    expect(toCreateFromUiOrder({ ...snapshot, pricelistId: undefined }, { pricelistId: 9 }).data.pricelist_id).toBe(9);
    expect(buildUiOrder({ ...snapshot, pricelistId: undefined }, snapshot.posReference).data.pricelist_id).toBe(false);
  });
});
