// Validates CycloneDX JSON files with the CycloneDX project's JavaScript library
// (@cyclonedx/cyclonedx-library, its strict JSON validator over the official schemas),
// the second independent validator beside cyclonedx-python-lib (validate_cyclonedx.py).
//   node testdata/validate_cyclonedx.mjs FILE...
// Run with NODE_PATH pointing at a node_modules folder holding the library and ajv.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(join(process.env.NODE_PATH ?? process.cwd(), 'x.js'))
const CDX = require('@cyclonedx/cyclonedx-library')

let failed = 0
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8')
  const version = JSON.parse(text).specVersion
  const validator = new CDX.Validation.JsonStrictValidator(version)
  const errors = await validator.validate(text)
  if (errors === null) {
    console.log(`${file}: valid CycloneDX ${version} (@cyclonedx/cyclonedx-library)`)
  } else {
    failed++
    console.log(`${file}: INVALID CycloneDX ${version}: ${JSON.stringify(errors).slice(0, 2000)}`)
  }
}
process.exit(failed ? 1 : 0)
