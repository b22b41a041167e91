import { notFound } from "next/navigation";
import { CleanupDetailPage } from "../../../components/CleanupDetailPage";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // Not a cleanup id at all: a real 404. An unknown id is answered by the page (it asks the API).
  if (!UUID.test(id)) notFound();
  return <CleanupDetailPage id={id} />;
}
