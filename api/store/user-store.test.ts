/**
 * One contract, both implementations: the Redis run talks to the test run's
 * real redis-server, each test in its own key namespace.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STORE_KINDS, type StoreSubject } from "../../test/support/stores.js";
import { entityTagOf, parseEntityTagCondition } from "../lib/entity-tag.js";
import {
  PreconditionFailedError,
  UserExistsError,
  UserNotFoundError,
  type UserStore,
} from "./user-store.js";

const alice = { firstname: "Alice", lastname: "Liddell", email: "alice@example.com" };

describe.each(STORE_KINDS)("$name UserStore", (kind) => {
  let subject: StoreSubject;
  let store: UserStore;

  beforeEach(async () => {
    subject = await kind.create();
    store = subject.store;
  });
  afterEach(async () => {
    await subject.dispose();
  });

  it("creates a user and reads it back with its timestamps", async () => {
    const created = await store.create("alice", alice, 1_000);
    expect(created).toEqual({ username: "alice", ...alice, createdAt: 1_000, updatedAt: 1_000 });
    expect(await store.get("alice")).toEqual(created);
  });

  it("stores a user without email without an email field", async () => {
    await store.create("bob", { firstname: "Bob", lastname: "Builder" }, 1);
    const bob = await store.get("bob");
    expect(bob).not.toHaveProperty("email");
  });

  it("returns null for a user that does not exist", async () => {
    expect(await store.get("nobody")).toBeNull();
  });

  it("refuses a second create of the same username and keeps the first", async () => {
    await store.create("alice", alice, 1);
    await expect(
      store.create("alice", { firstname: "X", lastname: "Y" }, 2),
    ).rejects.toBeInstanceOf(UserExistsError);
    expect((await store.get("alice"))?.firstname).toBe("Alice");
  });

  it("gives exactly one winner to 50 concurrent creates of one username", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.create("race", { firstname: `F${i}`, lastname: "L" }, i),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof UserExistsError)).toBe(true);
    const page = await store.list({ limit: 100 });
    expect(page.items.map((u) => u.username)).toEqual(["race"]);
  });

  it("updates fields, removes email, keeps createdAt, and moves updatedAt", async () => {
    await store.create("alice", alice, 5_000);
    const updated = await store.update(
      "alice",
      { set: { firstname: "Alicia" }, remove: ["email"] },
      6_000,
    );
    expect(updated).toEqual({
      username: "alice",
      firstname: "Alicia",
      lastname: "Liddell",
      createdAt: 5_000,
      updatedAt: 6_000,
    });
    expect(await store.get("alice")).toEqual(updated);
  });

  it("moves updatedAt forward even when the clock does not", async () => {
    await store.create("alice", alice, 5_000);
    const first = await store.update("alice", { set: { lastname: "A" }, remove: [] }, 5_000);
    const second = await store.update("alice", { set: { lastname: "B" }, remove: [] }, 4_000);
    expect(first.updatedAt).toBeGreaterThan(5_000);
    expect(second.updatedAt).toBeGreaterThan(first.updatedAt);
  });

  it("throws UserNotFoundError when updating or deleting a missing user, writing nothing", async () => {
    await expect(
      store.update("ghost", { set: { firstname: "G" }, remove: [] }, 1),
    ).rejects.toBeInstanceOf(UserNotFoundError);
    await expect(store.delete("ghost")).rejects.toBeInstanceOf(UserNotFoundError);
    expect(await store.get("ghost")).toBeNull();
    expect((await store.list({ limit: 10 })).items).toEqual([]);
  });

  it("deletes a user from the hash and the index", async () => {
    await store.create("alice", alice, 1);
    await store.create("bob", alice, 1);
    await store.delete("alice");
    expect(await store.get("alice")).toBeNull();
    expect((await store.list({ limit: 10 })).items.map((u) => u.username)).toEqual(["bob"]);
  });

  it("pages through users in ascending username order", async () => {
    const names = ["delta", "alpha", "charlie", "bravo", "echo", "a.b", "a-b", "a_b", "zulu"];
    for (const name of names) await store.create(name, alice, 1);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ limit: 4, ...(after === undefined ? {} : { after }) });
      seen.push(...page.items.map((u) => u.username));
      after = page.lastOfPage ?? undefined;
      pages++;
    } while (after !== undefined);
    expect(seen).toEqual([...names].sort());
    expect(pages).toBe(3);
  });

  it("reports no further page when the last page is exactly full", async () => {
    for (const name of ["aaa", "bbb", "ccc", "ddd"]) await store.create(name, alice, 1);
    const first = await store.list({ limit: 2 });
    expect(first.lastOfPage).toBe("bbb");
    const second = await store.list({ limit: 2, after: "bbb" });
    expect(second.items.map((u) => u.username)).toEqual(["ccc", "ddd"]);
    expect(second.lastOfPage).toBeNull();
  });

  describe("preconditions (checked in the same atomic step as the write)", () => {
    const tag = (value: string) => parseEntityTagCondition(value);
    const currentTag = async (username: string) => {
      const user = await store.get(username);
      if (user === null) throw new Error(`${username} is gone`);
      return entityTagOf(user);
    };
    const rename = { set: { firstname: "Alicia" }, remove: [] } as const;

    it("updates when If-Match names the current tag, computed the same way as entityTagOf", async () => {
      const created = await store.create("alice", alice, 1);
      const updated = await store.update("alice", rename, 2, {
        ifMatch: tag(entityTagOf(created)),
      });
      expect(updated.firstname).toBe("Alicia");
      const again = await store.update("alice", { set: { lastname: "L" }, remove: [] }, 3, {
        ifMatch: tag(`"stale", ${entityTagOf(updated)}`),
      });
      expect(again.lastname).toBe("L");
      expect(entityTagOf(again)).toBe(await currentTag("alice"));
    });

    it("refuses a stale, weak or absent-from-list If-Match and writes nothing", async () => {
      const created = await store.create("alice", alice, 1);
      const current = entityTagOf(created);
      for (const value of ['"stale"', `W/${current}`, '"a", "b"']) {
        await expect(
          store.update("alice", rename, 2, { ifMatch: tag(value) }),
        ).rejects.toBeInstanceOf(PreconditionFailedError);
        await expect(store.delete("alice", { ifMatch: tag(value) })).rejects.toBeInstanceOf(
          PreconditionFailedError,
        );
      }
      expect(await store.get("alice")).toEqual(created);
    });

    it("treats If-Match: * as 'exists' and If-None-Match as the weak opposite", async () => {
      const created = await store.create("alice", alice, 1);
      const current = entityTagOf(created);
      await store.update("alice", rename, 2, { ifMatch: tag("*") });
      await expect(
        store.update("alice", rename, 3, { ifNoneMatch: tag("*") }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      const now = await currentTag("alice");
      await expect(
        store.update("alice", rename, 3, { ifNoneMatch: tag(`W/${now}`) }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      await store.update("alice", rename, 4, { ifNoneMatch: tag(current) });
      await store.delete("alice", { ifMatch: tag(await currentTag("alice")) });
      expect(await store.get("alice")).toBeNull();
    });

    it("reports a missing user as not found whatever the preconditions say", async () => {
      await expect(store.update("ghost", rename, 1, { ifMatch: tag("*") })).rejects.toBeInstanceOf(
        UserNotFoundError,
      );
      await expect(store.delete("ghost", { ifMatch: tag('"x"') })).rejects.toBeInstanceOf(
        UserNotFoundError,
      );
    });

    it("lets exactly one of 20 concurrent writers with the same If-Match win", async () => {
      const created = await store.create("alice", alice, 1);
      const ifMatch = tag(entityTagOf(created));
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.update("alice", { set: { firstname: `W${i}` }, remove: [] }, 2, { ifMatch }),
        ),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      expect(
        results.every(
          (r) => r.status === "fulfilled" || r.reason instanceof PreconditionFailedError,
        ),
      ).toBe(true);
      const winner = (won[0] as PromiseFulfilledResult<{ firstname: string }>).value.firstname;
      expect((await store.get("alice"))?.firstname).toBe(winner);
    });
  });

  it("answers ping while available", async () => {
    expect(await store.ping()).toBe(true);
    expect(store.isAvailable()).toBe(true);
  });
});
