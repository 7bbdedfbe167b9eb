import { modeCases } from "../cases/modes.case.ts";

modeCases("local");
