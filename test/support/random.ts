// The bench's seeded generator (Mulberry32), so that a failing random run can be repeated with its seed.
export { mulberry32 as seededRandom } from '../../bench/synthetic-mesh';
