import { describe, expect, test } from "bun:test";
import { readAnnouncement } from "../../src/store/done-announcement.ts";

const msg = (text: string) => Buffer.from(text, "utf8");

describe("readAnnouncement", () => {
  test("ids come from the header; states from the JSON body, false meaning 'read it yourself'", () => {
    const body = JSON.stringify([["COMPLETED", "a b\nc 🚀"], false, ["FAILED", '{"e":"x\\ny"}']]);
    const a = readAnnouncement(msg(`id1 id2 id3\n${body}`));
    expect(a.ids).toEqual(["id1", "id2", "id3"]);
    expect(a.state(0)).toEqual({ status: "COMPLETED", result: "a b\nc 🚀" });
    expect(a.state(1)).toBeNull();
    expect(a.state(2)).toEqual({ status: "FAILED", result: '{"e":"x\\ny"}' });
    expect(a.state(3)).toBeNull();
  });

  test("only the first newline ends the header; results may hold newlines, spaces and ids", () => {
    const a = readAnnouncement(msg(`id1\n${JSON.stringify([["COMPLETED", "\nid2 id3\n"]])}`));
    expect(a.ids).toEqual(["id1"]);
    expect(a.state(0)).toEqual({ status: "COMPLETED", result: "\nid2 id3\n" });
  });

  test("a header-only message (ids only) announces every id without its state", () => {
    const a = readAnnouncement(msg("id1 id2"));
    expect(a.ids).toEqual(["id1", "id2"]);
    expect(a.state(0)).toBeNull();
    expect(a.state(1)).toBeNull();
  });

  test("the body is parsed lazily, and a malformed one only costs the states", () => {
    for (const body of ["not json", "{}", "null", '"x"', ""]) {
      const a = readAnnouncement(msg(`id1\n${body}`));
      expect(a.ids).toEqual(["id1"]);
      expect(a.state(0)).toBeNull();
    }
  });

  test("items that are not a final status with a text result are ignored", () => {
    const items = [["RUNNING", "1"], ["QUEUED", "1"], ["COMPLETED", 1], ["COMPLETED"], ["FAILED", "x", "y"], "COMPLETED", null, 0];
    const a = readAnnouncement(msg(`${items.map((_, i) => `id${i}`).join(" ")}\n${JSON.stringify(items)}`));
    items.forEach((_, i) => expect(a.state(i)).toBeNull());
  });
});
