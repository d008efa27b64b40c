/**
 * The harness of the per-area rule tests (test/policies/rules/<area>.test.ts):
 * every rule passes on an example stack as synthesized, and fails when one
 * thing is changed (a resource's props or options in resources.json, or the
 * stack's config), and each area's cases cover exactly the rules its file
 * defines.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import type { HomelabPolicy } from "../../policies/common.ts";
import { TYPES } from "../../contract/tokens.ts";
import type { SynthDocument } from "../../contract/synth-document.ts";
import { change, synthDoc, violationsOf, type EditableResource } from "./synth-output.ts";

export const T = TYPES;
export const RELEASE = T.release;
export const CONFIG_GROUP = TYPES.configGroup;

/** A Helm release's values, for edits. */
export const values = (r: EditableResource): Record<string, any> => r.inputs.values as Record<string, any>;

export interface Failing {
  /** Completes "fails when …". */
  readonly when: string;
  readonly edit: (doc: SynthDocument) => SynthDocument;
  /** `<type>::<name>` the violation is reported against. */
  readonly resource: string;
  readonly message: RegExp;
}

export interface RuleCase {
  readonly rule: string;
  /** The example stack, optionally with config changes, the rule passes on and the edits start from. */
  readonly stack: string;
  readonly config?: Record<string, unknown>;
  readonly fails: readonly Failing[];
}

/** The legacy Talos VIP shape (≤ 1.11): on the interface. */
export const legacyVipPatch = (vip: string) =>
  `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        vip:\n          ip: ${vip}\n`;
export const vipDocument = (vip: string) => `apiVersion: v1alpha1\nkind: Layer2VIPConfig\nname: ${vip}\nlink: eth0\n`;

/** The allow-Traefik policy of namespace apps, which every app there shares (edge: git, status, wiki; k3s: notes, whoami). */
export const APPS_POLICY = "namespaces-apps-allow-traefik";

/** The document with one ipBlock peer dropped from the named NetworkPolicy's allow rule. */
export const withoutPeer = (doc: SynthDocument, policy: string, cidr: string): SynthDocument =>
  change(doc, T.networkPolicy, policy, (r) => {
    const from = r.inputs.spec.ingress[0].from as { ipBlock?: { cidr: string } }[];
    assert.ok(
      from.some((p) => p.ipBlock?.cidr === cidr),
      `${policy} has no ipBlock ${cidr}`,
    );
    r.inputs.spec.ingress[0].from = from.filter((p) => p.ipBlock?.cidr !== cidr);
  });

const key = (c: Pick<RuleCase, "stack" | "config">) => `${c.stack}${c.config ? ` with ${JSON.stringify(c.config)}` : ""}`;

/** A rule area's file: each export a rule factory taking its enforcement level. */
export type RuleArea = Readonly<Record<string, () => HomelabPolicy>>;

/** The cases of one rule area, run against the synth output of their stacks. */
export function describeRuleCases(area: string, rules: RuleArea, cases: readonly RuleCase[]): void {
  const policies = Object.values(rules).map((factory) => factory());
  describe(`${area} rules on the program's own synth output`, () => {
    const docs = new Map<string, SynthDocument>();
    before(async () => {
      for (const c of cases) if (!docs.has(key(c))) docs.set(key(c), await synthDoc(c.stack, c.config));
    });

    it(`every rule of policies/${area}.ts has a passing and a failing case here`, () => {
      assert.deepEqual([...new Set(cases.map((c) => c.rule))].sort(), policies.map((p) => p.name).sort());
      assert.ok(cases.every((c) => c.fails.length > 0));
    });

    for (const c of cases) {
      describe(`${c.rule} (${key(c)})`, () => {
        it("passes on the stack as synthesized", async () => {
          assert.deepEqual(await violationsOf(docs.get(key(c))!, c.rule), []);
        });
        for (const f of c.fails) {
          it(`fails when ${f.when}`, async () => {
            // GIVEN the synthesized stack with one change
            const edited = f.edit(docs.get(key(c))!);
            // WHEN the pack evaluates it
            const found = await violationsOf(edited, c.rule);
            // THEN exactly this rule reports the change, against the resource that carries it, at its default level
            assert.equal(found.length, 1, `expected one violation, got:\n${found.map((v) => `${v.resource}: ${v.message}`).join("\n")}`);
            const level = policies.find((p) => p.name === c.rule)!.enforcementLevel;
            assert.equal(found[0]!.resource, f.resource);
            assert.equal(found[0]!.level, level);
            assert.match(found[0]!.message, f.message);
          });
        }
      });
    }
  });
}
