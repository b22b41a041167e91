import { RolloutPage } from "../../../components/RolloutPage";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RolloutPage id={id} />;
}
