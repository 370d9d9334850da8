import type { WriteDriver } from './driver.js';
export async function hubDriver(_o: { url: string; log: (line: string) => void }): Promise<WriteDriver> {
  throw new Error('hub driver: being written');
}
