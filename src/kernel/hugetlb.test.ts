import { test } from "node:test";
import assert from "node:assert/strict";
import { bootGiganticPages, hugetlbCmaAreas, hugetlbCmaCmdline } from "./hugetlb.js";
import { GiB, MiB } from "./units.js";

test("hugetlb_cma=: a total, or node:size pairs up to the first bad one; the last one wins", () => {
  assert.deepEqual(hugetlbCmaCmdline("hugetlb_cma=2G"), { total: 2 * GiB });
  assert.deepEqual(hugetlbCmaCmdline("hugetlb_cma=1G hugetlb_cma=512M"), { total: 512 * MiB });
  assert.deepEqual(hugetlbCmaCmdline("hugetlb_cma=0:1G,1:2G"), { perNode: new Map([[0, GiB], [1, 2 * GiB]]) });
  assert.deepEqual(hugetlbCmaCmdline("hugetlb_cma=0:1G,x:2G"), { perNode: new Map([[0, GiB]]) });
  assert.deepEqual(hugetlbCmaCmdline("hugetlb_cma=abc"), { total: 0 });
  assert.equal(hugetlbCmaCmdline("quiet"), null);
  assert.deepEqual(bootGiganticPages("hugetlb_cma=1G"), [], "not a boot page");
});

test("hugetlb_cma_reserve(): the total spread over the nodes, rounded up to gigantic pages (6.1, 6.12) or refused unless whole (7.x)", () => {
  const asked: [number, number][] = [];
  const take = (ok: (nid: number) => boolean) => (nid: number, size: number) => (asked.push([nid, size]), ok(nid));
  // a64-probe55-dts-numa2-4g-hugetlb-cma-2g: 2 GiB over two nodes, 1 GiB each.
  hugetlbCmaAreas({ total: 2 * GiB }, [0, 1], GiB, "roundup", take(() => true));
  assert.deepEqual(asked.splice(0), [[0, GiB], [1, GiB]]);
  // A node without room does not count: the next one still asks for its share only.
  hugetlbCmaAreas({ total: 2 * GiB }, [0, 1], GiB, "roundup", take((nid) => nid === 1));
  assert.deepEqual(asked.splice(0), [[0, GiB], [1, GiB]]);
  // 3 GiB over two nodes: 2 GiB shares (rounded up), the last one what is left.
  hugetlbCmaAreas({ total: 3 * GiB }, [0, 1], GiB, "roundup", take(() => true));
  assert.deepEqual(asked.splice(0), [[0, 2 * GiB], [1, GiB]]);
  // Below one gigantic page: nothing (6.1 "should be at least 1024 MiB"); 7.x wants whole pages.
  hugetlbCmaAreas({ total: 256 * MiB }, [0], GiB, "roundup", take(() => true));
  hugetlbCmaAreas({ total: 1536 * MiB }, [0], GiB, "multiple", take(() => true));
  assert.deepEqual(asked.splice(0), []);
  hugetlbCmaAreas({ total: 1536 * MiB }, [0], GiB, "roundup", take(() => true));
  assert.deepEqual(asked.splice(0), [[0, 2 * GiB]]);
  // Per node: each as given, only on nodes that exist.
  hugetlbCmaAreas({ perNode: new Map([[1, GiB], [5, GiB]]) }, [0, 1], GiB, "multiple", take(() => true));
  assert.deepEqual(asked.splice(0), [[1, GiB]]);
});
