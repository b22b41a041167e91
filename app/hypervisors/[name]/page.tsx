import { HypervisorPage } from "../../../components/HypervisorPage";

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <HypervisorPage name={decodeURIComponent(name)} />;
}
