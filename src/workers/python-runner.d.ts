/** The type of the Python runner's source, embedded as text at build time (`import … with { type: "text" }`). */
declare module "*/python-runner.py" {
  const text: string;
  export default text;
}
