// The pack's entry point, run by the Pulumi CLI:
//   pulumi preview --policy-pack policies [--policy-pack-config policy-config.json]
// Constructing the PolicyPack starts its gRPC server, so this file does only
// that; the rules and the offline runner live in the .ts files beside it.
//
// Plain JavaScript on purpose: Pulumi's policy-pack launcher registers ts-node
// (with type-checking) and hands it a .ts entry point, and ts-node rejects
// this project's compiler options (`.ts` import specifiers need `noEmit`).
// A .js entry point is loaded by Node itself, which strips the types of every
// .ts module it imports. (Keep allowJs out of this folder's tsconfig.json:
// ts-node would then compile this file too, and fail the same way.) The
// tests run this file, with a stub PolicyPack and under Pulumi's launcher.
import { PolicyPack } from "@pulumi/policy";
import { homelabPolicies } from "./rules.ts";

new PolicyPack("homelab", { policies: homelabPolicies() });
