/** Tests run from TypeScript sources through ts-jest, which type-checks them. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
};
